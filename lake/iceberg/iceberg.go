// Package iceberg publishes a lake table's snapshots as Apache Iceberg table metadata (format
// version 2) next to its data, so that engines that read Iceberg (Trino, Spark, PyIceberg,
// iceberg-go) read the same Parquet files the service does. It is built from the snapshot
// manifests alone and knows nothing of the catalogue: the caller says which snapshots are kept
// and which one is current.
//
// Under tables/<table>/metadata/ beside the snapshot manifests it writes, per snapshot, one Avro
// manifest listing the snapshot's data files (ADDED when new against its parent, EXISTING
// otherwise, DELETED for the parent's files it no longer holds) and one Avro manifest list, and
// per set of kept snapshots one metadata JSON. Every key is derived from what the object says,
// so publishing the same snapshots again writes nothing, and a different set (a new snapshot,
// snapshots expired by retention) gets new keys: objects are never overwritten.
package iceberg

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cqeco/ecolake/lake"
)

// ErrInvalid marks an input that cannot be published.
var ErrInvalid = errors.New("iceberg: invalid table")

// Snapshot is one kept snapshot of a table.
type Snapshot struct {
	// Sequence is the snapshot's place in the table's whole history (1 for the first ever
	// committed), so that it stays the same when older snapshots are expired.
	Sequence    int64
	CommittedAt time.Time
	Manifest    *lake.Manifest
}

// Table is what is published: a lake table and its kept snapshots, oldest first, each the parent
// of the next; the last is the current one. Only the newest MaxSnapshots are published; the one
// before them, when given, is only read for which files its child added.
type Table struct {
	Name string
	// Location is the absolute URI of the lake's root (lake.Bucket.Name(): file:///… or
	// s3://bucket/prefix); data file paths are Location/key.
	Location   string
	Partitions []lake.PartitionColumn
	Snapshots  []Snapshot
}

// MaxSnapshots bounds the snapshots one metadata version lists, the newest of those kept, so that
// what a commit publishes stays bounded however long a table's history grows. Older kept
// snapshots stay readable through GraphQL's time travel.
const MaxSnapshots = 100

// window splits the snapshots into the published ones and the parent of the oldest of them, nil
// when that parent is not given (never existed, or no longer kept).
func (t *Table) window() (parent *Snapshot, published []Snapshot) {
	n := len(t.Snapshots)
	if n <= MaxSnapshots {
		return nil, t.Snapshots
	}
	return &t.Snapshots[n-MaxSnapshots-1], t.Snapshots[n-MaxSnapshots:]
}

// SnapshotID is the Iceberg snapshot id of one of ours: positive, derived from it alone.
func SnapshotID(id string) int64 {
	sum := sha256.Sum256([]byte("ecolake-snapshot:" + id))
	n := int64(binary.BigEndian.Uint64(sum[:8]) & (1<<63 - 1))
	if n == 0 {
		n = 1
	}
	return n
}

// Summary keys the published snapshots carry besides Iceberg's own.
const (
	SummarySnapshot = "ecolake.snapshot-id" // our snapshot id
	SummaryRun      = "ecolake.run-id"
	SummaryParent   = "ecolake.parent-snapshot-id"
)

// MetadataDir is the key prefix of a table's metadata objects.
func MetadataDir(table string) string { return "tables/" + table + "/metadata/" }

// TableLocation is the Iceberg table location of table under a lake rooted at location.
func TableLocation(location, table string) string { return URI(location, "tables/"+table) }

// URI is the absolute path of key in the lake rooted at location. An s3:// key stays as it is
// (object names are opaque, as Iceberg's S3 readers take them); a file:/// path is
// percent-encoded as file URIs are, so that a partition value escaped in the key (%E4…), or a
// space in the lake's folder, names the file it is.
func URI(location, key string) string {
	r := root(location)
	if path, ok := strings.CutPrefix(r, "file://"); ok {
		return (&url.URL{Scheme: "file", Path: path + key}).String()
	}
	return r + key
}

func root(location string) string { return strings.TrimSuffix(location, "/") + "/" }

func (t *Table) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("table %s: %s: %w", t.Name, fmt.Sprintf(format, args...), ErrInvalid)
	}
	switch {
	case t.Name == "":
		return bad("no name")
	case !strings.HasPrefix(t.Location, "file:///") && !strings.HasPrefix(t.Location, "s3://"):
		return bad("location %q is not an absolute file:/// or s3:// URI", t.Location)
	case len(t.Snapshots) == 0:
		return bad("no snapshots")
	}
	for i, s := range t.Snapshots {
		m := s.Manifest
		if m == nil || m.Table != t.Name {
			return bad("snapshot %d has no manifest of the table", i)
		}
		if i > 0 {
			prev := t.Snapshots[i-1]
			if m.Parent != prev.Manifest.SnapshotID {
				return bad("snapshot %s follows %s, not its parent %q", m.SnapshotID, prev.Manifest.SnapshotID, m.Parent)
			}
			if s.Sequence <= prev.Sequence {
				return bad("snapshot %s: sequence %d not after %d", m.SnapshotID, s.Sequence, prev.Sequence)
			}
		}
		if s.Sequence < 1 {
			return bad("snapshot %s: sequence %d", m.SnapshotID, s.Sequence)
		}
	}
	return nil
}

// digest is a short hex digest of parts, for keys.
func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
