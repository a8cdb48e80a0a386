package catalog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordWriter returns a writer of framed JSON records of a checkpoint of the given version.
func recordWriter(t *testing.T, w io.Writer, idx uint64, at time.Time, version int) func(cmdType, any) {
	return func(typ cmdType, body any) {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		raw, err := json.Marshal(&record{Index: idx, Type: typ, Version: version, At: at, Payload: b})
		require.NoError(t, err)
		_, err = w.Write(frame(raw))
		require.NoError(t, err)
	}
}

// writeCheckpointV1 writes a checkpoint as version 1 did: one JSON record per object.
func writeCheckpointV1(t *testing.T, path string, txn *memdb.Txn, idx uint64, at time.Time) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w := bufio.NewWriter(f)
	put := recordWriter(t, w, idx, at, ckptVersionV1)
	put(ckptHeader, ckptHeaderBody{Index: idx})
	objects := 0
	for _, tb := range ckptTables {
		it, err := txn.Get(tb.table, indexID)
		require.NoError(t, err)
		for obj := it.Next(); obj != nil; obj = it.Next() {
			for _, o := range storedObjects(t, obj) {
				put(tb.typ, o)
				objects++
			}
		}
	}
	put(ckptEnd, ckptEndBody{Objects: objects})
	require.NoError(t, w.Flush())
}

// TestCheckpointVersion1StillLoads: a directory checkpointed by the previous version starts with
// the same state, and its next checkpoint is of the current version.
func TestCheckpointVersion1StillLoads(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openTest(t, testConfig(dir, clock))
	populate(t, s, clock)
	state := stateJSON(t, s.View())
	s.mu.Lock()
	writeCheckpointV1(t, filepath.Join(dir, checkpointName), s.View().txn, s.Index(), clock.Now())
	s.mu.Unlock()
	s.crash()
	for _, seg := range mustSegments(t, dir) {
		require.NoError(t, os.Remove(seg.path)) // the checkpoint alone holds the state
	}

	s = openTest(t, testConfig(dir, clock))
	assert.JSONEq(t, state, stateJSON(t, s.View()))
	require.NoError(t, s.PutDepartment(context.Background(), Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}))
	state = stateJSON(t, s.View())
	require.NoError(t, s.Close())
	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	assert.JSONEq(t, state, stateJSON(t, s.View()))
	assert.Equal(t, 0, s.sinceCkpt, "restored from the new checkpoint alone")
}

func mustSegments(t *testing.T, dir string) []segment {
	t.Helper()
	segs, err := listSegments(dir)
	require.NoError(t, err)
	return segs
}

// opaque is a stored type gob cannot carry: an interface field holding a map.
type opaque struct {
	ID    string
	Extra any
}

// TestCheckpointChunkFallsBackToJSON: a table whose objects gob cannot encode is checkpointed as
// JSON instead of failing the checkpoint.
func TestCheckpointChunkFallsBackToJSON(t *testing.T) {
	codec := objectsOf[opaque]("opaque")
	objs := []any{&opaque{ID: "a", Extra: map[string]any{"k": "值"}}, &opaque{ID: "b"}}
	payload, err := encodeChunk(&bytes.Buffer{}, "opaque", codec, objs)
	require.NoError(t, err)
	assert.Equal(t, "opaque\nj", string(payload[:8]), "gob refused the interface field")
	got, _, err := decodeChunk(map[string]ckptCodec{"opaque": codec}, payload)
	require.NoError(t, err)
	assert.Equal(t, objs, got)

	// and the usual case is gob
	payload, err = encodeChunk(&bytes.Buffer{}, ckptDepartment, objectsOf[Department](tableDepartments), []any{&Department{Code: "A", Name: "甲"}})
	require.NoError(t, err)
	assert.Equal(t, "department\ng", string(payload[:12]))
	got, _, err = decodeChunk(map[string]ckptCodec{string(ckptDepartment): objectsOf[Department](tableDepartments)}, payload)
	require.NoError(t, err)
	assert.Equal(t, []any{&Department{Code: "A", Name: "甲"}}, got)
}
