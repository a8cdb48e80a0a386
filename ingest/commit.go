package ingest

import (
	"context"
	"errors"
	"fmt"
	"github.com/cqeco/ecolake/schemas"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
)

// commitAttempts bounds the compare-and-swap retries when other loads of the same entry commit
// in between.
const commitAttempts = 5

// commit writes the manifest of a new snapshot on top of the entry's current one and moves the
// entry to it by compare-and-swap, rebasing onto a newer parent when another load won the race.
// Each attempt writes its manifest under a fresh snapshot id; the losers' manifests are orphans
// for garbage collection and were never visible.
func (s *Service) commit(ctx context.Context, entry *catalog.Entry, sub Submission, res *Result, files []lake.DataFile) (*catalog.Snapshot, error) {
	fields := lakeSchema(entry)
	var added, addedBytes int64
	for _, f := range files {
		added += f.Rows
		addedBytes += f.Bytes
	}
	op := res.operation(sub)
	summary := map[string]string{
		"operation":     op,
		"source":        sub.Filename,
		"encoding":      res.Encoding,
		"district":      res.Run.District,
		"added_rows":    strconv.FormatInt(added, 10),
		"added_files":   strconv.Itoa(len(files)),
		"added_bytes":   strconv.FormatInt(addedBytes, 10),
		"rejected_rows": strconv.FormatInt(res.Run.RowsRejected, 10),
	}
	if sp := res.Period; !sp.From.IsZero() {
		summary["period_item"], summary["period"] = sp.field, sp.text()
	}

	var err error
	memo := splits{}
	for attempt := 1; attempt <= commitAttempts; attempt++ {
		var snap *catalog.Snapshot
		snap, err = s.commitOnce(ctx, entry.ResourceCode, sub, fields, files, maps.Clone(summary), memo, res)
		if err == nil {
			return snap, nil
		}
		if !errors.Is(err, catalog.ErrConflict) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("commit %s after %d attempts: %w", entry.ResourceCode, commitAttempts, err)
}

// commitOnce makes one attempt on the entry's current snapshot. The access decision is taken
// again on the same view, for the principal as it stands there, so a load the principal lost
// the right to while it ran (disabled, entry regraded) is not committed, and a scoped
// replacement is computed from this parent.
func (s *Service) commitOnce(ctx context.Context, code string, sub Submission, fields []lake.Field,
	files []lake.DataFile, summary map[string]string, memo splits, res *Result) (*catalog.Snapshot, error) {
	view := s.cat.View()
	p := sub.Principal
	if p.ID != "" { // the operator is no stored principal
		cur, err := view.Principal(p.ID)
		if err != nil {
			return nil, schemas.Userf(ErrLoadForbidden, "账号 %s 已不存在或已停用", p.ID)
		}
		p = cur
	}
	entry, access, err := view.EntryFor(p, code, s.now())
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", code, err)
	}
	if err := collectable(entry); err != nil {
		return nil, err
	}
	if err := mayLoad(p, entry, access, res.Run.District, sub.Replace || res.keys != nil); err != nil {
		return nil, err
	}
	access = access.ForDistrict(entry, res.Run.District)
	parent := entry.CurrentSnapshot
	version := 1
	var all []lake.DataFile
	var pm *lake.Manifest
	if parent != "" {
		if pm, err = s.parentManifest(ctx, view, entry.Table, parent); err != nil {
			return nil, err
		}
		version = pm.SchemaVersion
		if !sameSchema(pm.Schema, fields) {
			version++
		}
		if duplicate(pm, res.Source, summary["operation"]) {
			return nil, errDuplicate
		}
	}
	var sources []string
	if pm != nil {
		sources = pm.Sources
	}
	switch {
	case res.keys != nil:
		// An upsert: the parent's rows with a new row's key go, within the principal's scope.
		var filter rowFilter = res.keys
		if access.ReplaceScope != nil {
			sc, err := newRowScope(entry, access.ReplaceScope)
			if err != nil {
				return nil, err
			}
			filter = both{sc, res.keys}
			summary["replace_scope"] = strings.Join(sc.districts, ",")
		}
		var k kept
		if pm != nil {
			if k, err = s.keepOutside(ctx, entry.Table, pm, filter, memo); err != nil {
				return nil, fmt.Errorf("upsert into %s: %w", entry.Table, err)
			}
		}
		all = append(all, k.files...)
		k.note(summary)
	case !sub.Replace:
		if pm != nil {
			all = append(all, pm.Files...)
		}
	case access.ReplaceScope != nil:
		sc, err := newRowScope(entry, access.ReplaceScope)
		if err != nil {
			return nil, err
		}
		if err := sc.withPeriod(entry, access.ReplaceScope, &res.periods); err != nil {
			return nil, err
		}
		var k kept
		if pm != nil {
			if k, err = s.keepOutside(ctx, entry.Table, pm, sc, memo); err != nil {
				return nil, fmt.Errorf("replace rows of %s in %s: %w", strings.Join(sc.districts, ","), entry.Table, err)
			}
		}
		all = append(all, k.files...)
		summary["replace_scope"] = strings.Join(sc.districts, ",")
		if sc.period != nil {
			summary["replace_period"] = sc.period.describe()
		}
		k.note(summary)
	default:
		var removed int64
		if pm != nil {
			removed = pm.Rows
		}
		sources = nil // none of the files loaded before holds a row of the new snapshot
		summary["removed_rows"] = strconv.FormatInt(removed, 10)
		summary["kept_rows"] = "0"
	}
	all = append(all, files...)
	profiles, err := s.snapshotProfiles(ctx, pm, all, len(files), res.profile)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", entry.Table, err)
	}

	now := s.now()
	m := &lake.Manifest{
		FormatVersion: lake.FormatVersion,
		Table:         entry.Table,
		SnapshotID:    lake.NewID(),
		Parent:        parent,
		Run:           res.Run.ID,
		SchemaVersion: version,
		Schema:        fields,
		Files:         all,
		CreatedAt:     now,
		Summary:       summary,
		Sources:       lake.WithSource(sources, res.Source),
		Profiles:      profiles,
	}
	key, err := lake.WriteManifest(ctx, s.bucket, m)
	if err != nil {
		return nil, fmt.Errorf("write manifest of %s: %w", entry.Table, err)
	}
	var rows, bytes int64
	for _, f := range all {
		rows += f.Rows
		bytes += f.Bytes
	}
	snap := catalog.Snapshot{
		ID:            m.SnapshotID,
		Entry:         entry.ResourceCode,
		Parent:        parent,
		Run:           res.Run.ID,
		ManifestKey:   key,
		Rows:          rows,
		Files:         len(all),
		Bytes:         bytes,
		SchemaVersion: version,
		CommittedAt:   now,
	}
	run := res.Run
	run.Snapshot = snap.ID
	run.FinishedAt = now
	if err := s.cat.CommitSnapshot(ctx, snap, run, parent); err != nil {
		return nil, fmt.Errorf("commit snapshot %s of %s: %w", snap.ID, entry.ResourceCode, err)
	}
	s.runChanged(run.ID)
	s.publishIceberg(ctx, entry.ResourceCode)
	res.Run = run
	return &snap, nil
}

// duplicate reports whether the file of digest adds nothing to the snapshot of manifest pm:
// appended, when its rows are among the snapshot's (pm.Sources); by replacement, when the
// snapshot is that very replacement (its last operation, by the same file). A replacement by a
// file loaded earlier, with other loads since, is applied: the table is not what it made it.
//
// An upsert is judged as a replacement: the same file upserted again after another upsert may
// set rows back to its values, so it is a duplicate only when it made the snapshot itself.
func duplicate(pm *lake.Manifest, digest, op string) bool {
	if op == "append" {
		return slices.Contains(pm.Sources, digest)
	}
	n := len(pm.Sources)
	return n > 0 && pm.Sources[n-1] == digest && pm.Summary["operation"] == op
}

// note writes what a replacement or upsert kept of its parent into a manifest summary.
func (k kept) note(summary map[string]string) {
	summary["removed_rows"] = strconv.FormatInt(k.removed, 10)
	summary["kept_rows"] = strconv.FormatInt(k.rows, 10)
	summary["reused_files"] = strconv.Itoa(k.reused)
	summary["rewritten_files"] = strconv.Itoa(k.rewritten)
	summary["dropped_files"] = strconv.Itoa(k.dropped)
	summary["read_files"] = strconv.Itoa(k.reads)
}

// parentManifest reads the manifest of the entry's current snapshot.
func (s *Service) parentManifest(ctx context.Context, view *catalog.View, table, id string) (*lake.Manifest, error) {
	key := lake.ManifestKey(table, id)
	if ps, err := view.Snapshot(id); err == nil && ps.ManifestKey != "" {
		key = ps.ManifestKey
	}
	m, err := lake.ReadManifest(ctx, s.bucket, key)
	if err != nil {
		return nil, fmt.Errorf("read parent manifest %s: %w", key, err)
	}
	return m, nil
}
