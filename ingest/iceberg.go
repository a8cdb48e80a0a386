package ingest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/iceberg"
)

// IcebergTable is the Iceberg view of the entry code as v has it: the snapshots kept says are
// kept on the chain of parents that ends at the entry's current snapshot, oldest first, at most
// iceberg.MaxSnapshots+1 of them. ok is
// false for an entry never loaded. Only committed snapshots are in v, so a table built from it
// never names a snapshot that is not committed.
func IcebergTable(ctx context.Context, v *catalog.View, b lake.BucketReader, location, code string,
	kept func(*catalog.Snapshot) bool) (t iceberg.Table, ok bool, err error) {
	e, err := v.Entry(code)
	if err != nil {
		return t, false, err
	}
	if e.CurrentSnapshot == "" {
		return t, false, nil
	}
	all, number := v.NumberedSnapshots(code) // newest first
	byID := make(map[string]*catalog.Snapshot, len(all))
	seq := make(map[string]int64, len(all))
	for i, s := range all {
		byID[s.ID] = s
		seq[s.ID] = number(i)
	}
	t = iceberg.Table{Name: e.Table, Location: location}
	for _, spec := range e.Partitions {
		c, err := lake.ParsePartition(spec)
		if err != nil {
			return t, false, fmt.Errorf("entry %s: %w", code, err)
		}
		t.Partitions = append(t.Partitions, c)
	}
	// The newest iceberg.MaxSnapshots are published; the one before them is read for which
	// files its child added.
	ids := map[int]bool{}
	for i, it := range e.Items.All() {
		ids[fieldID(i, it)] = true
	}
	for id := e.CurrentSnapshot; id != "" && len(t.Snapshots) <= iceberg.MaxSnapshots; {
		s := byID[id]
		if s == nil || !kept(s) {
			break
		}
		key := s.ManifestKey
		if key == "" {
			key = lake.ManifestKey(e.Table, s.ID)
		}
		m, err := manifests.read(ctx, b, location, key)
		if err != nil {
			return t, false, fmt.Errorf("snapshot %s of %s: %w", s.ID, code, err)
		}
		t.Snapshots = append(t.Snapshots, iceberg.Snapshot{Sequence: seq[s.ID], CommittedAt: s.CommittedAt, Manifest: itemsOnly(m, ids)})
		id = s.Parent
	}
	if len(t.Snapshots) == 0 {
		return t, false, nil
	}
	slices.Reverse(t.Snapshots)
	return t, true, nil
}

// PublishIceberg publishes the Iceberg metadata of the entry code's kept snapshots in v (those
// retention has not expired); nil for an entry never loaded.
func PublishIceberg(ctx context.Context, v *catalog.View, b lake.Bucket, code string) (*iceberg.Plan, error) {
	t, ok, err := IcebergTable(ctx, v, b, b.Name(), code, func(s *catalog.Snapshot) bool { return !s.Expired() })
	if err != nil || !ok {
		return nil, err
	}
	return iceberg.Publish(ctx, b, t)
}

// publishIceberg publishes the entry's Iceberg metadata right after a commit: every committed
// snapshot is an Iceberg snapshot too. A failure leaves the commit as it is: the metadata is
// published again when the Iceberg catalogue is asked for the table, or by the next commit.
func (s *Service) publishIceberg(ctx context.Context, code string) {
	if _, err := PublishIceberg(ctx, s.cat.View(), s.bucket, code); err != nil {
		s.log.Warn("publish iceberg metadata", "dataset", code, "err", err)
	}
}

// itemsOnly is m with the columns of its schema that are items of the entry now, by their ids:
// the access decision the Iceberg catalogue asks is about the entry's items, so a column an item
// removed since left in older files is not declared in any schema a reader could read it by.
func itemsOnly(m *lake.Manifest, ids map[int]bool) *lake.Manifest {
	if !slices.ContainsFunc(m.Schema, func(f lake.Field) bool { return !ids[f.ID] }) {
		return m
	}
	c := *m
	c.Schema = slices.DeleteFunc(slices.Clone(m.Schema), func(f lake.Field) bool { return !ids[f.ID] })
	return &c
}

// manifests keeps the snapshot manifests publication read last: each commit publishes the newest
// iceberg.MaxSnapshots snapshots again, and a manifest never changes under its key (ids are never
// reused), so all but the newest are read from here. Entries are never changed by readers.
var manifests = &manifestCache{max: 4 * (iceberg.MaxSnapshots + 1)}

type manifestCache struct {
	mu    sync.Mutex
	max   int
	byKey map[string]*lake.Manifest
	order []string // oldest first
}

func (c *manifestCache) read(ctx context.Context, b lake.BucketReader, location, key string) (*lake.Manifest, error) {
	k := location + "\x00" + key
	c.mu.Lock()
	m, ok := c.byKey[k]
	c.mu.Unlock()
	if ok {
		return m, nil
	}
	m, err := lake.ReadManifest(ctx, b, key)
	if err != nil {
		return nil, err
	}
	m.Profiles, m.Sources = nil, nil // publication reads neither; they are most of a manifest's size
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil {
		c.byKey = map[string]*lake.Manifest{}
	}
	if _, ok := c.byKey[k]; !ok {
		if len(c.order) >= c.max {
			delete(c.byKey, c.order[0])
			c.order = c.order[1:]
		}
		c.byKey[k] = m
		c.order = append(c.order, k)
	}
	return m, nil
}
