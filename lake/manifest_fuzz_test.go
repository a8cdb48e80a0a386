package lake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/cqeco/ecolake/lake"
)

// oneObject is a bucket reader holding a single object.
type oneObject struct {
	key  string
	data []byte
}

func (o oneObject) Get(_ context.Context, key string) (io.ReadCloser, error) {
	if key != o.key {
		return nil, lake.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(o.data)), nil
}

func (o oneObject) Attributes(context.Context, string) (lake.ObjectAttrs, error) {
	return lake.ObjectAttrs{Size: int64(len(o.data))}, nil
}

func (o oneObject) Iter(context.Context, string, func(string) error) error { return nil }

// FuzzReadManifest: whatever bytes a manifest object holds, reading it never panics, and what it
// accepts is a valid manifest of the snapshot its key names, whose totals are its files' sums and
// which reads back the same after being written again.
func FuzzReadManifest(f *testing.F) {
	good, err := json.Marshal(sampleManifest())
	if err != nil {
		f.Fatal(err)
	}
	m := sampleManifest()
	m.FormatVersion, m.Rows, m.Bytes = lake.FormatVersion, 15, 1700
	totals, _ := json.Marshal(m)
	key := lake.ManifestKey(m.Table, m.SnapshotID)
	if _, err := lake.ReadManifest(context.Background(), oneObject{key, totals}, key); err != nil {
		f.Fatalf("the valid seed is refused: %v", err)
	}
	f.Add(good)
	f.Add(totals)
	f.Add([]byte(`{"format_version": 1}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Add(append(totals, []byte(` {"x": 1}`)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := lake.ReadManifest(context.Background(), oneObject{key, data}, key)
		if err != nil {
			if !errors.Is(err, lake.ErrInvalidManifest) {
				t.Fatalf("refusal does not wrap ErrInvalidManifest: %v", err)
			}
			return
		}
		if lake.ManifestKey(got.Table, got.SnapshotID) != key {
			t.Fatalf("accepted the manifest of %s/%s under %s", got.Table, got.SnapshotID, key)
		}
		var rows, size int64
		for _, fl := range got.Files {
			rows += fl.Rows
			size += fl.Bytes
		}
		if rows != got.Rows || size != got.Bytes {
			t.Fatalf("accepted totals %d/%d against files' %d/%d", got.Rows, got.Bytes, rows, size)
		}
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lake.ReadManifest(context.Background(), oneObject{key, again}, key); err != nil {
			t.Fatalf("an accepted manifest does not read back: %v", err)
		}
	})
}
