package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/iceberg"
)

// Iceberg metadata is published by the load's commit right after the catalogue took the snapshot
// (ingest.PublishIceberg), again on demand whenever the Iceberg catalogue loads a table (which
// catches up snapshots committed before publication existed, or whose publication a crash cut
// short: writing what is already there is a no-op), and by the collection after retention expired
// snapshots, before their files go. Each is built from a catalogue view, so only committed,
// unexpired snapshots are ever named.

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

// icebergKeys adds to keys the Iceberg objects of the entry code that must stay: those of the
// metadata the catalogue serves (its unexpired snapshots) and of the metadata over the snapshots
// live keeps (expired ones still in their grace time, read by clients that loaded it before).
// A table Iceberg cannot express has no objects to keep.
func (a *App) icebergKeys(ctx context.Context, v *catalog.View, code string, live func(*catalog.Snapshot) bool, keys map[string]bool) error {
	for _, kept := range []func(*catalog.Snapshot) bool{func(s *catalog.Snapshot) bool { return !s.Expired() }, live} {
		t, ok, err := ingest.IcebergTable(ctx, v, a.Bucket, a.Bucket.Name(), code, kept)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		p, err := iceberg.Prepare(t)
		if err != nil {
			a.log.Warn("iceberg metadata", "dataset", code, "err", err)
			continue
		}
		for _, k := range p.Keys() {
			keys[k] = true
		}
	}
	return nil
}
