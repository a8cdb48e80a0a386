package iceberg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	ice "github.com/apache/iceberg-go"

	"github.com/cqeco/ecolake/lake"
)

// tableLocks serialises the publications of one table within the process: two writers of the same
// manifest key would each describe their own copy of it in their manifest list.
var tableLocks sync.Map // lake root + table → *sync.Mutex

// Publish writes what Prepare(t) plans that is not in b yet and returns the plan; its
// MetadataLocation is then readable.
func Publish(ctx context.Context, b lake.Bucket, t Table) (*Plan, error) {
	p, err := Prepare(t)
	if err != nil {
		return nil, err
	}
	if err := p.Write(ctx, b); err != nil {
		return nil, err
	}
	return p, nil
}

// Write uploads the plan's objects that b lacks: manifests, then manifest lists, the metadata
// JSON last, so that a metadata file never names an object that is not there yet.
func (p *Plan) Write(ctx context.Context, b lake.Bucket) error {
	mu, _ := tableLocks.LoadOrStore(p.t.Location+"\x00"+p.t.Name, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	if ok, err := exists(ctx, b, p.MetadataKey); err != nil || ok {
		return err
	}
	for _, sp := range p.snaps {
		// A manifest list is written after its manifest: where it is, both are.
		if ok, err := exists(ctx, b, sp.listKey); err != nil {
			return err
		} else if ok {
			continue
		}
		var files []ice.ManifestFile
		if sp.manifestKey != "" {
			mf, data, err := p.manifest(sp)
			if err != nil {
				return err
			}
			if err := put(ctx, b, sp.manifestKey, data); err != nil {
				return err
			}
			files = append(files, mf)
		}
		var list bytes.Buffer
		seq := sp.s.Sequence
		var parent *int64
		if sp.parent != 0 {
			parent = &sp.parent
		}
		if err := ice.WriteManifestList(2, &list, sp.id, parent, &seq, 0, files); err != nil {
			return fmt.Errorf("iceberg manifest list of %s/%s: %w", p.t.Name, sp.s.Manifest.SnapshotID, err)
		}
		if err := put(ctx, b, sp.listKey, list.Bytes()); err != nil {
			return err
		}
	}
	return put(ctx, b, p.MetadataKey, p.Metadata)
}

// manifest encodes the Avro manifest of one snapshot.
func (p *Plan) manifest(sp snapPlan) (ice.ManifestFile, []byte, error) {
	schema := p.schema(sp.schemaID)
	entries := make([]ice.ManifestEntry, 0, len(sp.entries))
	for _, e := range sp.entries {
		part, err := p.partition(e.file, sp.s.Manifest.Schema)
		if err != nil {
			return nil, nil, err
		}
		db, err := ice.NewDataFileBuilder(p.spec, ice.EntryContentData, URI(p.t.Location, e.file.Key), ice.ParquetFile,
			part, nil, nil, e.file.Rows, e.file.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("iceberg data file %s: %w", e.file.Key, err)
		}
		snap, seq := e.snapshot, e.seq
		entries = append(entries, ice.NewManifestEntry(e.status, &snap, &seq, &seq, db.Build()))
	}
	var buf bytes.Buffer
	mf, err := ice.WriteManifest(URI(p.t.Location, sp.manifestKey), &buf, 2, p.spec, schema, sp.id, entries)
	if err != nil {
		return nil, nil, fmt.Errorf("iceberg manifest of %s/%s: %w", p.t.Name, sp.s.Manifest.SnapshotID, err)
	}
	return mf, buf.Bytes(), nil
}

func exists(ctx context.Context, b lake.Bucket, key string) (bool, error) {
	_, err := b.Attributes(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, lake.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("iceberg %s: %w", key, err)
}

// put uploads data under key unless an object is there already: keys are derived from content.
func put(ctx context.Context, b lake.Bucket, key string, data []byte) error {
	ok, err := exists(ctx, b, key)
	if err != nil || ok {
		return err
	}
	if err := b.Upload(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		return fmt.Errorf("upload iceberg %s: %w", key, err)
	}
	return nil
}
