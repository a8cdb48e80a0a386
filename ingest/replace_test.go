package ingest

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// getBucket counts the reads of each object.
type getBucket struct {
	lake.Bucket
	mu   sync.Mutex
	gets map[string]int
}

func (b *getBucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	b.mu.Lock()
	b.gets[key]++
	b.mu.Unlock()
	return b.Bucket.Get(ctx, key)
}

// putWanzhou registers the 万州区 district account and returns it.
func (e *env) putWanzhou() *catalog.Principal {
	e.t.Helper()
	require.NoError(e.t, e.cat.PutPrincipal(context.Background(), catalog.Principal{ID: "wanzhou", Name: "万州区生态环境局",
		Role: catalog.RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}, TokenHash: catalog.HashToken("wz")}))
	return e.principal("wanzhou")
}

// currentManifest reads the manifest of the entry's current snapshot.
func (e *env) currentManifest() *lake.Manifest {
	e.t.Helper()
	v := e.cat.View()
	en, err := v.Entry("0101/000001")
	require.NoError(e.t, err)
	snap, err := v.Snapshot(en.CurrentSnapshot)
	require.NoError(e.t, err)
	m, err := lake.ReadManifest(context.Background(), e.bucket, snap.ManifestKey)
	require.NoError(e.t, err)
	return m
}

// TestScopedReplacePrunesByBounds: a district's replacement judges the parent's files by their
// bounds; files wholly outside its scope are referenced again without being read, files wholly
// within are dropped without being read, and only the files the bounds cannot settle (mixed ones,
// and those written before bounds were recorded) are read.
func TestScopedReplacePrunesByBounds(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, DefaultConfig())
	e.putEntry(matrixEntry(cityWithDistrict))
	wz := e.putWanzhou()
	head := "站点编码,区县,数值\n"
	loads := []string{
		"A1,江北区,1\nA2,江北区,2\nA3,渝北区,3\n", // outside: 500105..500112
		"B1,万州区,4\nB2,万州区,5\n",           // within
		"C1,万州区,6\nC2,渝中区,7\nC3,城口县,8\n", // mixed
		"D1,江北区,9\nD2,黔江区,10\n",          // outside, but written "before bounds"
		"E1,,11\nE2,,12\n",               // no district at all
	}
	var files []lake.DataFile
	for i, body := range loads {
		res, err := e.submit("存量.csv", head+body, nil)
		require.NoError(t, err)
		m := e.currentManifest()
		f := m.Files[len(m.Files)-1]
		require.NotEmpty(t, f.Bounds, "load %d records bounds", i)
		if i == 3 {
			// As a manifest of before this change has it: no bounds.
			m.Files[len(m.Files)-1].Bounds = nil
			_, err := lake.WriteManifest(ctx, e.bucket, m)
			require.NoError(t, err)
			require.Equal(t, res.Snapshot.ManifestKey, lake.ManifestKey(m.Table, m.SnapshotID))
			f.Bounds = nil
		}
		files = append(files, f)
	}
	a, b, c, d, ef := files[0], files[1], files[2], files[3], files[4]

	gb := &getBucket{Bucket: e.bucket, gets: map[string]int{}}
	svc := New(e.cat, gb, DefaultConfig(), nil)
	res, err := svc.Submit(ctx, Submission{Principal: wz, Entry: "0101/000001", Filename: "万州.csv",
		Body: strings.NewReader(head + "N1,万州区,100\n"), Replace: true})
	require.NoError(t, err)
	require.NotNil(t, res.Snapshot)

	for _, f := range []lake.DataFile{a, b, ef} {
		assert.Zero(t, gb.gets[f.Key], "a file the bounds settle is not read")
	}
	assert.NotZero(t, gb.gets[c.Key], "a mixed file is read")
	assert.NotZero(t, gb.gets[d.Key], "a file without bounds is read")

	m := e.currentManifest()
	require.Len(t, m.Files, 5)
	assert.Equal(t, a, m.Files[0], "wholly outside: the same file")
	rewritten := m.Files[1]
	assert.NotEqual(t, c.Key, rewritten.Key, "a mixed file is rewritten under a new key")
	assert.Equal(t, int64(2), rewritten.Rows)
	assert.Equal(t, lake.Bound{Min: "500103", Max: "500229"}, rewritten.Bounds["district"])
	assert.Equal(t, d.Key, m.Files[2].Key, "read, but none of its rows is 万州区's: the same file")
	assert.Equal(t, ef, m.Files[3])
	assert.Equal(t, int64(1), m.Files[4].Rows, "the new rows")
	for _, f := range m.Files {
		assert.NotEqual(t, b.Key, f.Key, "a file of 万州区's rows only is dropped")
	}
	for k, want := range map[string]string{"operation": "replace", "replace_scope": "500101", "removed_rows": "3",
		"kept_rows": "9", "reused_files": "3", "rewritten_files": "1", "dropped_files": "1", "read_files": "2"} {
		assert.Equal(t, want, m.Summary[k], k)
	}
	assert.Equal(t, []string{"A1,500105,1", "A2,500105,2", "A3,500112,3", "C2,500103,7", "C3,500229,8",
		"D1,500105,9", "D2,500114,10", "E1,<nil>,11", "E2,<nil>,12", "N1,500101,100"}, e.matrixRows(cityWithDistrict))
}

// TestScopedReplaceRetriesFromNewParent: when another load commits while a district replaces its
// rows, the replacement is computed again from the new parent: the other load's rows of other
// districts survive, its rows of the district are replaced.
func TestScopedReplaceRetriesFromNewParent(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(matrixEntry(cityWithDistrict))
	wz := e.putWanzhou()
	_, err := e.submit("存量.csv", matrixParent, nil)
	require.NoError(t, err)

	var other *Result
	var otherErr error
	rb := &hookBucket{Bucket: e.bucket, match: "/metadata/"}
	rb.hook = func() {
		other, otherErr = e.submit("市级.csv", "站点编码,区县,数值\nX1,万州区,20\nX2,江北区,21\n", nil)
	}
	res, err := New(e.cat, rb, DefaultConfig(), nil).Submit(context.Background(), Submission{Principal: wz,
		Entry: "0101/000001", Filename: "万州.csv", Body: strings.NewReader(matrixNew), Replace: true})
	require.NoError(t, err)
	require.NoError(t, otherErr)
	assert.Equal(t, other.Snapshot.ID, res.Snapshot.Parent, "rebased on the load that won")
	assert.Equal(t, []string{"N1,500101,11", "P2,500105,2", "P3,500103,3", "P4,<nil>,4", "X2,500105,21"},
		e.matrixRows(cityWithDistrict))
	assert.Equal(t, "2", e.currentManifest().Summary["removed_rows"])
}

func TestClassifyByBounds(t *testing.T) {
	entry := testEntry()
	entry.Items = catalog.ItemsOf(append(entry.Items.Slice(), catalog.Item{Name: "来源区县", Field: "origin", Type: schemas.Int, CodeList: "districts", Grade: schemas.General1})...)
	one, err := newRowScope(entry, &catalog.RowScope{Fields: []string{"district"}, Districts: []string{"500101"}})
	require.NoError(t, err)
	two, err := newRowScope(entry, &catalog.RowScope{Fields: []string{"district"}, Districts: []string{"500101", "500103"}})
	require.NoError(t, err)
	both, err := newRowScope(entry, &catalog.RowScope{Fields: []string{"district", "origin"}, Districts: []string{"500101"}})
	require.NoError(t, err)
	bound := func(min, max string, nulls int64) lake.Bound { return lake.Bound{Min: min, Max: max, Nulls: nulls} }
	tests := []struct {
		name   string
		scope  *rowScope
		bounds map[string]lake.Bound
		want   fileClass
	}{
		{"no bounds", one, nil, classUnknown},
		{"bounds without the district column", one, map[string]lake.Bound{"remark": bound("a", "b", 0)}, classUnknown},
		{"another district", one, map[string]lake.Bound{"district": bound("500105", "500105", 0)}, classOutside},
		{"a range around the district", one, map[string]lake.Bound{"district": bound("500102", "500240", 0)}, classOutside},
		{"only nulls", one, map[string]lake.Bound{"district": bound("", "", 10)}, classOutside},
		{"the district only", one, map[string]lake.Bound{"district": bound("500101", "500101", 0)}, classWithin},
		{"the district and nulls", one, map[string]lake.Bound{"district": bound("500101", "500101", 3)}, classUnknown},
		{"a range with the district", one, map[string]lake.Bound{"district": bound("500101", "500103", 0)}, classUnknown},
		{"two districts: a range between them", two, map[string]lake.Bound{"district": bound("500101", "500103", 0)}, classUnknown},
		{"two districts: one of them", two, map[string]lake.Bound{"district": bound("500103", "500103", 0)}, classWithin},
		{"two items: one outside", both, map[string]lake.Bound{"district": bound("500101", "500101", 0), "origin": bound("500105", "500240", 0)}, classOutside},
		{"two items: both within", both, map[string]lake.Bound{"district": bound("500101", "500101", 0), "origin": bound("500101", "500101", 0)}, classWithin},
		{"two items: numbers compare as numbers", both, map[string]lake.Bound{"district": bound("500101", "500101", 0), "origin": bound("1000000", "9000000", 0)}, classOutside},
		{"two items: one unknown", both, map[string]lake.Bound{"district": bound("500101", "500101", 0)}, classUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.scope.classify(lake.DataFile{Rows: 10, Bounds: tc.bounds}))
		})
	}
}

// TestSubmitDecidedAgainAtCommit: an account disabled while its file was being loaded commits
// nothing.
func TestSubmitDecidedAgainAtCommit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, DefaultConfig())
	e.putEntry(matrixEntry(cityWithDistrict))
	wz := e.putWanzhou()
	seed, err := e.submit("存量.csv", matrixParent, nil)
	require.NoError(t, err)
	hb := &hookBucket{Bucket: e.bucket, match: "/data/", hook: func() {
		off := *wz
		off.Disabled = true
		require.NoError(t, e.cat.PutPrincipal(ctx, off))
	}}
	res, err := New(e.cat, hb, DefaultConfig(), nil).Submit(ctx, Submission{Principal: wz, Entry: "0101/000001",
		Filename: "万州.csv", Body: strings.NewReader(matrixNew), Replace: true})
	require.ErrorIs(t, err, catalog.ErrNotFound, "the entry no longer exists for a disabled account")
	require.NotNil(t, res)
	assert.Equal(t, catalog.RunFailed, res.Run.Status)
	en, err := e.cat.View().Entry("0101/000001")
	require.NoError(t, err)
	assert.Equal(t, seed.Snapshot.ID, en.CurrentSnapshot)
	assert.Equal(t, []string{"P1,500101,1", "P2,500105,2", "P3,500103,3", "P4,<nil>,4"}, e.matrixRows(cityWithDistrict))
}
