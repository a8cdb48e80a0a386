package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/iceberg"
)

// Iceberg metadata is published by each load's commit right after the catalogue took the
// snapshot, by the collection after retention expired snapshots, before their files go, and
// whenever the Iceberg catalogue loads a table (which catches up snapshots committed before this
// version, or whose publication a crash cut short: writing what is already there is a no-op).
// Each publication is built from a catalogue view, so only committed, unexpired snapshots are
// ever named.

// icebergTables is the api.IcebergTables of the App's lake.
type icebergTables struct{ bucket lake.Bucket }

func (t icebergTables) IcebergMetadata(ctx context.Context, v *catalog.View, code string) (string, json.RawMessage, bool, error) {
	p, err := ingest.PublishIceberg(ctx, v, t.bucket, code)
	if err != nil || p == nil {
		return "", nil, false, err
	}
	return p.MetadataLocation(), p.Metadata, true, nil
}

// icebergRoutes is the read-only Iceberg REST catalogue.
func (a *App) icebergRoutes() *api.Iceberg {
	return &api.Iceberg{Cat: a.Cat, Tables: icebergTables{a.Bucket}, Query: a.Query, Log: a.log}
}

// publishIceberg publishes the Iceberg metadata of the entries codes in v.
func (a *App) publishIceberg(ctx context.Context, v *catalog.View, codes []string) error {
	done := map[string]bool{}
	for _, code := range codes {
		if done[code] {
			continue
		}
		done[code] = true
		if _, err := ingest.PublishIceberg(ctx, v, a.Bucket, code); err != nil {
			return fmt.Errorf("publish iceberg metadata of %s: %w", code, err)
		}
	}
	return nil
}

// icebergVersions is how many metadata versions of a table a collection keeps at most: the one
// served and those before it, while every snapshot they list is kept. A reader that loaded one
// of them shortly before the next commit still finds it.
const icebergVersions = 10

// icebergLive says, by its key, whether an Iceberg object of v's tables stays: a manifest or
// manifest list of a snapshot live keeps, and a metadata file whose snapshots live keeps, one of
// the newest icebergVersions. The version the catalogue serves lists unexpired snapshots only,
// the newest of them last, so it always stays with everything it names; older versions go with
// the first of their snapshots, never naming a file that is gone.
func icebergLive(v *catalog.View, live func(*catalog.Snapshot) bool) func(key string) bool {
	type table struct {
		ours      map[string]bool
		iceberg   map[int64]bool
		liveSeq   map[int64]bool
		newestSeq int64 // the sequence of the icebergVersions-th newest live snapshot
	}
	tables := map[string]*table{}
	for _, e := range v.Entries() {
		t := &table{ours: map[string]bool{}, iceberg: map[int64]bool{}, liveSeq: map[int64]bool{}}
		all, number := v.NumberedSnapshots(e.ResourceCode) // newest first; as ingest.IcebergTable numbers them
		n := 0
		for i, s := range all {
			if !live(s) {
				continue
			}
			seq := number(i)
			t.ours[s.ID], t.iceberg[iceberg.SnapshotID(s.ID)], t.liveSeq[seq] = true, true, true
			if n++; n <= icebergVersions {
				t.newestSeq = seq
			}
		}
		tables[e.Table] = t
	}
	return func(key string) bool {
		rest, ok := strings.CutPrefix(key, "tables/")
		if !ok {
			return false
		}
		name, _, _ := strings.Cut(rest, "/")
		t := tables[name]
		if t == nil {
			return false
		}
		k, ok := iceberg.ParseKey(name, key)
		switch {
		case !ok:
			return false
		case k.Kind == iceberg.KindManifest:
			return t.ours[k.Snapshot]
		case k.Kind == iceberg.KindManifestList:
			return t.iceberg[k.IcebergID]
		}
		if k.Last < t.newestSeq {
			return false
		}
		for seq := k.First; seq <= k.Last; seq++ {
			if !t.liveSeq[seq] {
				return false
			}
		}
		return true
	}
}
