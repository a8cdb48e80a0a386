package lake

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/cqeco/ecolake/schemas"
)

// FormatVersion is the manifest format this package writes and reads.
const FormatVersion = 1

// maxManifestBytes bounds what ReadManifest will decode.
const maxManifestBytes = 64 << 20

// Field is one column of a snapshot's schema. IDs are stable across schema versions, as Iceberg
// field ids are.
type Field struct {
	ID       int    `json:"id"`
	Name     string `json:"name"` // item field identifier
	Type     string `json:"type"` // schemas.DataType
	Required bool   `json:"required"`
}

// Manifest describes one snapshot of a table; shaped so it can later be expressed as Apache
// Iceberg metadata (format version, schema with field ids, parent snapshot, summary, data files).
type Manifest struct {
	FormatVersion int               `json:"format_version"` // 1
	Table         string            `json:"table"`
	SnapshotID    string            `json:"snapshot_id"`
	Parent        string            `json:"parent_snapshot_id,omitempty"`
	Run           string            `json:"run_id"`
	SchemaVersion int               `json:"schema_version"`
	Schema        []Field           `json:"schema"`
	Files         []DataFile        `json:"files"`
	Rows          int64             `json:"rows"`
	Bytes         int64             `json:"bytes"`
	CreatedAt     time.Time         `json:"created_at"`
	Summary       map[string]string `json:"summary,omitempty"`
	// Sources are the SHA-256 digests (hex) of the files submitted to the table, the latest
	// last, carried from snapshot to snapshot (at most MaxSources): the same file submitted
	// again is found here and adds nothing.
	Sources []string `json:"sources,omitempty"`
	// Profiles describe the values of each column over the snapshot's rows, in schema order;
	// manifests written before profiles existed have none.
	Profiles []Profile `json:"profiles,omitempty"`
}

// Profile describes one column's values over a snapshot's rows. Its size is bounded whatever the
// table's: a sketch of fixed precision, bounds clipped to MaxProfileText characters and at most
// MaxProfileCodes code counts.
type Profile struct {
	Field string `json:"field"`
	Type  string `json:"type"` // schemas.DataType
	Rows  int64  `json:"rows"`
	Nulls int64  `json:"nulls"`
	// Distinct is the estimated number of distinct non-null values; Sketch is the compressed
	// HyperLogLog sketch it comes from, merged into the next snapshot's on an append.
	Distinct uint64 `json:"distinct"`
	Sketch   []byte `json:"sketch,omitempty"`
	// Min and Max are the smallest and largest non-null values in their type's text form; text
	// compares bytewise and is clipped to its first MaxProfileText characters. Empty for BOOL
	// and for a column without values.
	Min string `json:"min,omitempty"`
	Max string `json:"max,omitempty"`
	// Codes, for a column coded with a code list, count every code seen, the most frequent
	// first (ties by code); beyond MaxProfileCodes codes the rest are counted in Others.
	Codes  []CodeCount `json:"codes,omitempty"`
	Others int64       `json:"others,omitempty"`
	// Stale rows are counted in the profile but no longer in the snapshot: rows taken out by a
	// replacement within a scope or an upsert, which a profile cannot subtract. Rows less Stale
	// are the snapshot's rows; the other figures are of all Rows rows, and bounds enclose the
	// snapshot's values. The profile is computed anew from the files when Stale grows past half
	// the snapshot's rows.
	Stale int64 `json:"stale,omitempty"`
	// Approximate: some stored values could not be profiled (a column stored in another type
	// than the item's, not castable): counts are exact, the estimate and bounds leave them out.
	Approximate bool `json:"approximate,omitempty"`
}

// CodeCount is how many rows hold one code.
type CodeCount struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Bounds of a Profile.
const (
	MaxProfileText  = 64
	MaxProfileCodes = 1000
	maxSketchBytes  = 32 << 10
)

// Top returns the n most frequent codes of the column.
func (p *Profile) Top(n int) []CodeCount { return p.Codes[:min(n, len(p.Codes))] }

// MaxSources bounds the digests of submitted files a manifest carries.
const MaxSources = 1000

// WithSource is sources with digest added last, the oldest dropped beyond MaxSources.
func WithSource(sources []string, digest string) []string {
	out := append(slices.Clone(sources), digest)
	if len(out) > MaxSources {
		out = out[len(out)-MaxSources:]
	}
	return out
}

// ManifestKey is where the manifest of a snapshot lives.
func ManifestKey(table, snapshotID string) string {
	return "tables/" + table + "/metadata/" + snapshotID + ".json"
}

// DataPrefix is the key prefix of a table's data files.
func DataPrefix(table string) string { return "tables/" + table + "/data/" }

// RejectsKey is where the rejected rows of a run are kept.
func RejectsKey(table, runID string) string {
	return "tables/" + table + "/rejects/" + runID + ".csv"
}

// WriteManifest fills Rows and Bytes from Files (and FormatVersion and CreatedAt when zero),
// validates the manifest and uploads it as JSON under ManifestKey. It returns the key.
func WriteManifest(ctx context.Context, b Bucket, m *Manifest) (string, error) {
	if m.FormatVersion == 0 {
		m.FormatVersion = FormatVersion
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now().UTC()
	}
	m.Rows, m.Bytes = 0, 0
	for _, f := range m.Files {
		m.Rows += f.Rows
		m.Bytes += f.Bytes
	}
	if err := m.Validate(); err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode manifest %s/%s: %w", m.Table, m.SnapshotID, err)
	}
	key := ManifestKey(m.Table, m.SnapshotID)
	if err := b.Upload(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		return "", fmt.Errorf("upload manifest %s: %w", key, err)
	}
	return key, nil
}

// ReadManifest reads and validates the manifest at key; it must be the manifest that key names.
func ReadManifest(ctx context.Context, b BucketReader, key string) (*Manifest, error) {
	rc, err := b.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", key, err)
	}
	defer rc.Close()
	dec := json.NewDecoder(io.LimitReader(rc, maxManifestBytes))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode manifest %s: %v: %w", key, err, ErrInvalidManifest)
	}
	if dec.More() {
		return nil, fmt.Errorf("manifest %s: trailing data: %w", key, ErrInvalidManifest)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", key, err)
	}
	var rows, size int64
	for _, f := range m.Files {
		rows += f.Rows
		size += f.Bytes
	}
	if rows != m.Rows || size != m.Bytes {
		return nil, fmt.Errorf("manifest %s: totals %d rows/%d bytes differ from its files' %d/%d: %w",
			key, m.Rows, m.Bytes, rows, size, ErrInvalidManifest)
	}
	if want := ManifestKey(m.Table, m.SnapshotID); want != key {
		return nil, fmt.Errorf("manifest %s describes %s: %w", key, want, ErrInvalidManifest)
	}
	return &m, nil
}

// Validate checks the manifest's own consistency; errors wrap ErrInvalidManifest.
func (m *Manifest) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("manifest %s/%s: %s: %w", m.Table, m.SnapshotID, fmt.Sprintf(format, args...), ErrInvalidManifest)
	}
	if m.FormatVersion != FormatVersion {
		return bad("format version %d, want %d", m.FormatVersion, FormatVersion)
	}
	if err := schemas.CheckIdent(m.Table); err != nil {
		return bad("table: %v", err)
	}
	if err := checkID(m.SnapshotID); err != nil {
		return bad("snapshot id: %v", err)
	}
	if err := checkID(m.Run); err != nil {
		return bad("run id: %v", err)
	}
	if m.Parent != "" {
		if err := checkID(m.Parent); err != nil {
			return bad("parent snapshot id: %v", err)
		}
		if m.Parent == m.SnapshotID {
			return bad("snapshot is its own parent")
		}
	}
	if m.SchemaVersion < 1 {
		return bad("schema version %d must be at least 1", m.SchemaVersion)
	}
	if len(m.Schema) == 0 {
		return bad("schema has no fields")
	}
	ids, names := map[int]bool{}, map[string]bool{}
	for i, f := range m.Schema {
		switch {
		case f.ID < 1:
			return bad("schema field %d: id %d must be positive", i, f.ID)
		case ids[f.ID]:
			return bad("schema field %d: duplicate id %d", i, f.ID)
		case names[f.Name]:
			return bad("schema field %d: duplicate name %q", i, f.Name)
		case !schemas.DataType(f.Type).Valid():
			return bad("schema field %q: unknown type %q", f.Name, f.Type)
		}
		if err := schemas.CheckIdent(f.Name); err != nil {
			return bad("schema field %d: %v", i, err)
		}
		ids[f.ID], names[f.Name] = true, true
	}
	keys := map[string]bool{}
	for i, f := range m.Files {
		if err := CheckKey(f.Key); err != nil {
			return bad("file %d: %v", i, err)
		}
		if keys[f.Key] {
			return bad("file %d: duplicate key %s", i, f.Key)
		}
		keys[f.Key] = true
		if f.Rows < 0 || f.Bytes < 0 {
			return bad("file %s: negative rows or bytes", f.Key)
		}
		if sum, err := hex.DecodeString(f.SHA256); err != nil || len(sum) != 32 || hex.EncodeToString(sum) != f.SHA256 {
			return bad("file %s: sha256 %q is not 64 lowercase hex characters", f.Key, f.SHA256)
		}
		// Bounds may name columns the snapshot's schema no longer has: a file keeps its own.
		for col, b := range f.Bounds {
			if err := schemas.CheckIdent(col); err != nil {
				return bad("file %s: bound of column %q: %v", f.Key, col, err)
			}
			if b.Nulls < 0 || b.Nulls > f.Rows {
				return bad("file %s: column %s has %d nulls in %d rows", f.Key, col, b.Nulls, f.Rows)
			}
		}
	}
	if m.CreatedAt.IsZero() {
		return bad("created_at is missing")
	}
	fields := map[string]bool{}
	for _, p := range m.Profiles {
		if fields[p.Field] {
			return bad("profile of %q twice", p.Field)
		}
		fields[p.Field] = true
		if err := p.validate(); err != nil {
			return bad("profile of %q: %v", p.Field, err)
		}
		if p.Rows-p.Stale != m.Rows {
			return bad("profile of %q: %d rows, %d of them stale, in a snapshot of %d", p.Field, p.Rows, p.Stale, m.Rows)
		}
	}
	return nil
}

func (p *Profile) validate() error {
	switch {
	case schemas.CheckIdent(p.Field) != nil:
		return fmt.Errorf("field is not an identifier")
	case !schemas.DataType(p.Type).Valid():
		return fmt.Errorf("unknown type %q", p.Type)
	case p.Rows < 0 || p.Nulls < 0 || p.Nulls > p.Rows || p.Others < 0 || p.Stale < 0 || p.Stale > p.Rows:
		return fmt.Errorf("%d nulls, %d others and %d stale in %d rows", p.Nulls, p.Others, p.Stale, p.Rows)
	case len(p.Sketch) > maxSketchBytes:
		return fmt.Errorf("sketch of %d bytes", len(p.Sketch))
	case len(p.Codes) > MaxProfileCodes:
		return fmt.Errorf("%d codes", len(p.Codes))
	case utf8.RuneCountInString(p.Min) > MaxProfileText || utf8.RuneCountInString(p.Max) > MaxProfileText:
		return fmt.Errorf("bounds longer than %d characters", MaxProfileText)
	}
	return nil
}

// checkID accepts ids that are safe as one key segment: NewID's output or similar.
func checkID(id string) error {
	if id == "" {
		return fmt.Errorf("empty")
	}
	if len(id) > 128 {
		return fmt.Errorf("%q is longer than 128 characters", id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("%q contains %q", id, r)
		}
	}
	return nil
}
