package iceberg

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cqeco/ecolake/lake"
)

// Object kinds of a table's Iceberg metadata.
const (
	KindManifest     = "manifest"      // <our snapshot id>-<digest>-m0.avro
	KindManifestList = "manifest-list" // snap-<Iceberg snapshot id>-<digest>.avro
	KindMetadata     = "metadata"      // <last sequence>-<first sequence>-<digest>.metadata.json
)

// Key is what an Iceberg object's key says of it, so that a collection can judge it by its name:
// the snapshot a manifest or manifest list belongs to, the sequence numbers of the first and the
// last snapshot a metadata file lists.
type Key struct {
	Kind        string
	Snapshot    string // our snapshot id, of a manifest
	IcebergID   int64  // of a manifest list
	First, Last int64  // of a metadata file
}

// ParseKey reads the key of one of table's Iceberg objects; ok is false for any other key (the
// snapshot manifests beside them among others).
func ParseKey(table, key string) (k Key, ok bool) {
	name, ok := strings.CutPrefix(key, MetadataDir(table))
	if !ok || strings.Contains(name, "/") {
		return k, false
	}
	if rest, ok := strings.CutSuffix(name, ".metadata.json"); ok {
		parts := strings.Split(rest, "-")
		if len(parts) != 3 {
			return k, false
		}
		last, err1 := strconv.ParseInt(parts[0], 10, 64)
		first, err2 := strconv.ParseInt(parts[1], 10, 64)
		if err1 != nil || err2 != nil || first > last {
			return k, false
		}
		return Key{Kind: KindMetadata, First: first, Last: last}, true
	}
	if rest, ok := strings.CutSuffix(name, "-m0.avro"); ok {
		i := strings.LastIndexByte(rest, '-')
		if i <= 0 {
			return k, false
		}
		return Key{Kind: KindManifest, Snapshot: rest[:i]}, true
	}
	if rest, ok := strings.CutPrefix(name, "snap-"); ok && strings.HasSuffix(rest, ".avro") {
		id, _, _ := strings.Cut(rest, "-")
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return k, false
		}
		return Key{Kind: KindManifestList, IcebergID: n}, true
	}
	return k, false
}

// errFound stops a listing at the first metadata file.
var errFound = errors.New("found")

// Published reports whether any metadata version of table is in b.
func Published(ctx context.Context, b lake.BucketReader, table string) (bool, error) {
	err := b.Iter(ctx, MetadataDir(table), func(key string) error {
		if k, ok := ParseKey(table, key); ok && k.Kind == KindMetadata {
			return errFound
		}
		return nil
	})
	switch {
	case errors.Is(err, errFound):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("iceberg metadata of %s: %w", table, err)
	}
	return false, nil
}
