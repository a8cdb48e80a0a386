package catalog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storedObjects is what checkpoints before packed history held for a stored object: one
// History per version for a history bucket or row, the object itself otherwise.
func storedObjects(t testing.TB, obj any) []any {
	var rows []*historyRow
	switch o := obj.(type) {
	case *historyBucket:
		rows = o.Rows
	case *historyRow:
		rows = []*historyRow{o}
	case *entryBucket:
		return entryRows(o)
	case *codeBucket[Snapshot]:
		return bucketRows[Snapshot](o)
	case *codeBucket[Run]:
		return bucketRows[Run](o)
	default:
		return []any{obj}
	}
	var out []any
	for _, row := range rows {
		versions, err := row.versions()
		require.NoError(t, err)
		for i := range versions {
			out = append(out, &versions[i])
		}
	}
	return out
}

// encodeHistoryV1 is the binary format of one version in version 1 history chunks, as it was
// written (decodeHistory reads it). It is frozen: a field added to History later is not in it.
func encodeHistoryV1(w *binWriter, h *History) error {
	own := len(h.Note)
	for _, c := range h.Changes {
		own += ownLen(c.Field, c.Label, c.Old, c.New)
	}
	w.uvarint(uint64(own))
	w.str(h.Entry)
	w.uvarint(h.Index)
	if err := w.time(h.At); err != nil {
		return err
	}
	w.str(h.Actor.ID)
	w.str(h.Actor.Name)
	w.str(h.Action)
	w.str(h.Status)
	w.str(h.Note)
	w.uvarint(uint64(len(h.Changes)))
	for _, c := range h.Changes {
		w.str(c.Field)
		w.str(c.Label)
		w.str(c.Old)
		w.str(c.New)
	}
	return nil
}

// legacyHistoryCodec writes history as checkpoints did before rows were packed, one History
// per version, in the chunk format given.
func legacyHistoryCodec(format byte) ckptCodec {
	c := objectsOf[History](tableHistory)
	switch format {
	case chunkBinary:
		c = binaryCodec(c, binVersion, encodeHistoryV1, decodeHistory)
	case chunkJSON: // what encodeChunk falls back to when gob fails
		c.encodeGob = func(*gob.Encoder, []any) error { return errors.New("gob refused") }
	}
	return c
}

// writeLegacyCheckpoint writes a version 2 checkpoint of txn as writeCheckpoint did before
// history rows were packed: the tables by their codecs in ckptTables, the history one object
// per version in the chunk format given.
func writeLegacyCheckpoint(t *testing.T, path string, txn *memdb.Txn, idx uint64, at time.Time, history byte) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w := bufio.NewWriter(f)
	putRecord := recordWriter(t, w, idx, at, ckptVersion)
	putRecord(ckptHeader, ckptHeaderBody{Index: idx})
	objects := 0
	for _, tb := range ckptTables {
		codec := tb.codec
		if tb.typ == ckptHistory {
			codec = legacyHistoryCodec(history)
		}
		var objs []any
		flush := func() {
			if len(objs) == 0 {
				return
			}
			payload, err := encodeChunk(&bytes.Buffer{}, tb.typ, codec, objs)
			require.NoError(t, err)
			_, err = w.Write(frame(payload))
			require.NoError(t, err)
			objects += len(objs)
			objs = nil
		}
		it, err := txn.Get(tb.table, indexID)
		require.NoError(t, err)
		for obj := it.Next(); obj != nil; obj = it.Next() {
			objs = append(objs, storedObjects(t, obj)...)
			if len(objs) >= ckptChunk {
				flush()
			}
		}
		flush()
	}
	putRecord(ckptEnd, ckptEndBody{Objects: objects})
	require.NoError(t, w.Flush())
}

// TestOldHistoryCheckpointsLoad: a checkpoint whose history holds one object per version, in
// each format checkpoints were written in, restores the same history, packed into one row per
// entry; the next checkpoint writes the rows as they are, and they restore the same again.
func TestOldHistoryCheckpointsLoad(t *testing.T) {
	for _, format := range []byte{chunkBinary, chunkGob, chunkJSON} {
		t.Run(string(rune(format)), func(t *testing.T) {
			dir := t.TempDir()
			clock := newClock()
			s := openTest(t, testConfig(dir, clock))
			populate(t, s, clock)
			second, err := s.CreateEntry(context.Background(), wfSteward, draftEntry("大气污染源清单"), "")
			require.NoError(t, err)
			state := stateJSON(t, s.View())
			s.mu.Lock()
			writeLegacyCheckpoint(t, filepath.Join(dir, checkpointName), s.View().txn, s.Index(), clock.Now(), format)
			s.mu.Unlock()
			s.crash()
			for _, seg := range mustSegments(t, dir) {
				require.NoError(t, os.Remove(seg.path)) // the checkpoint alone holds the state
			}
			raw, err := os.ReadFile(filepath.Join(dir, checkpointName))
			require.NoError(t, err)
			old := "history\n" + string(rune(format))
			if format == chunkBinary {
				old += "\x01" // version 1: one object per version
			}
			require.True(t, bytes.Contains(raw, []byte(old)), "history written as %q", old)

			s = openTest(t, testConfig(dir, clock))
			assert.JSONEq(t, state, stateJSON(t, s.View()))
			var counts []int
			eachHistoryRow(s.View().txn, func(r *historyRow) { counts = append(counts, r.Count) })
			assert.Equal(t, []int{4, 1}, counts, "one row per entry: the workflow entry's four versions, then %s's", second.ResourceCode)

			require.NoError(t, s.PutDepartment(context.Background(), Department{Code: "SOIL_DIV", Name: "土壤处", Kind: DepartmentDivision}))
			state = stateJSON(t, s.View())
			require.NoError(t, s.Close())
			raw, err = os.ReadFile(filepath.Join(dir, checkpointName))
			require.NoError(t, err)
			require.True(t, bytes.Contains(raw, []byte("history\nb\x02")), "the next checkpoint holds packed rows")
			s = openTest(t, testConfig(dir, clock))
			defer s.Close()
			assert.JSONEq(t, state, stateJSON(t, s.View()))
		})
	}
}

// A version is added as a new row: a view taken before still reads the versions it had.
func TestHistoryRowIsNeverChanged(t *testing.T) {
	s := openTest(t, testConfig(t.TempDir(), newClock()))
	defer s.Close()
	ctx := context.Background()
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	d, err := s.CreateEntry(ctx, wfSteward, draftEntry("地表水水质月报"), "首次登记")
	require.NoError(t, err)
	before := s.View()
	row := historyRowOf(before.txn, d.ResourceCode)
	require.NotNil(t, row)
	packed := row.Packed
	require.NoError(t, s.SubmitEntry(ctx, wfSteward, d.ResourceCode, d.Revision, "请审核"))

	old, err := before.HistoryFor(wfAdmin, d.ResourceCode, 10)
	require.NoError(t, err)
	now, err := s.View().HistoryFor(wfAdmin, d.ResourceCode, 10)
	require.NoError(t, err)
	require.Len(t, old, 1)
	require.Len(t, now, 2)
	assert.Equal(t, HistCreate, old[0].Action)
	assert.Equal(t, old[0], now[1], "the earlier version reads the same from the new row")
	assert.Equal(t, HistSubmit, now[0].Action)
	assert.Equal(t, "请审核", now[0].Note)
	assert.Equal(t, packed, historyRowOf(before.txn, d.ResourceCode).Packed)
	assert.Equal(t, 1, historyRowOf(before.txn, d.ResourceCode).Count)
	assert.Same(t, row, historyRowOf(before.txn, d.ResourceCode), "the earlier view keeps its row")
}

// A row whose packed string does not hold exactly the versions it counts is refused when the
// checkpoint is read, never met later by a read of the history.
func TestDamagedHistoryRowIsRefused(t *testing.T) {
	h := History{Entry: "0101/000001", Index: 7, At: time.Date(2025, 3, 1, 8, 0, 0, 5, time.UTC), Actor: Actor{ID: "a", Name: "甲"},
		Action: HistEdit, Status: StatusDraft, Changes: []FieldChange{{Field: "name", Label: "信息资源名称", Old: "旧", New: "新"}}}
	good := (*historyRow)(nil).with(h.Entry, &h).with(h.Entry, &h)
	codecs := map[string]ckptCodec{string(ckptHistory): historyCodec()}
	decode := func(row *historyRow) error {
		payload, err := encodeChunk(&bytes.Buffer{}, ckptHistory, historyCodec(), []any{row})
		require.NoError(t, err)
		_, _, err = decodeChunk(codecs, payload)
		return err
	}
	require.NoError(t, decode(good))
	for _, tc := range []struct {
		name string
		row  historyRow
	}{
		{"counts one more", historyRow{Entry: good.Entry, Count: 3, Packed: good.Packed}},
		{"counts one fewer", historyRow{Entry: good.Entry, Count: 1, Packed: good.Packed}},
		{"a byte after the last version", historyRow{Entry: good.Entry, Count: 2, Packed: good.Packed + "\x00"}},
		{"cut inside the last version", historyRow{Entry: good.Entry, Count: 2, Packed: good.Packed[:len(good.Packed)-1]}},
		{"nanoseconds past a second", historyRow{Entry: good.Entry, Count: 1, Packed: "\x07\x02\xff\xff\xff\xff\x0f"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Error(t, decode(&tc.row))
		})
	}
}

// benchHistoryRows is a chunk's worth of rows of three versions each, as the workflow writes
// them (create, submit, approve with a change).
func benchHistoryRows() []*historyRow {
	rows := make([]*historyRow, ckptChunk)
	at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range rows {
		code := fmt.Sprintf("0101/%06d", i)
		for j, action := range []string{HistCreate, HistSubmit, HistApprove} {
			h := History{Entry: code, Index: uint64(3*i + j), At: at, Actor: Actor{ID: "steward-air", Name: "数据员甲"}, Action: action, Status: StatusDraft}
			if action == HistApprove {
				h.Note, h.Changes = "同意", []FieldChange{{Field: "status", Label: "状态", Old: StatusPendingReview, New: StatusPublished}}
			}
			rows[i] = rows[i].with(code, &h)
		}
	}
	return rows
}

// BenchmarkHistoryRestore decodes and inserts one chunk of history, as packed rows and in the
// version 1 format of one object per version.
func BenchmarkHistoryRestore(b *testing.B) {
	rows := benchHistoryRows()
	var objs, versions []any
	for _, r := range rows {
		objs = append(objs, r)
		versions = append(versions, storedObjects(b, r)...)
	}
	for _, bc := range []struct {
		name  string
		codec ckptCodec
		objs  []any
	}{{"rows", historyCodec(), objs}, {"v1", legacyHistoryCodec(chunkBinary), versions}} {
		payload, err := encodeChunk(&bytes.Buffer{}, ckptHistory, bc.codec, bc.objs)
		require.NoError(b, err)
		codecs := map[string]ckptCodec{string(ckptHistory): historyCodec()}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				db, err := memdb.NewMemDB(&memdb.DBSchema{Tables: map[string]*memdb.TableSchema{tableHistory: historyTableSchema()}})
				require.NoError(b, err)
				txn := db.Txn(true)
				got, _, err := decodeChunk(codecs, payload)
				require.NoError(b, err)
				insert := restoreHistory() // as a load inserts (loadCodecs)
				for _, o := range got {
					require.NoError(b, insert(txn, o))
				}
				txn.Commit()
			}
		})
	}
}

// BenchmarkAddHistory adds a version to an entry that has three.
func BenchmarkAddHistory(b *testing.B) {
	row := benchHistoryRows()[0]
	h := History{Entry: row.Entry, Index: 99, At: time.Now().UTC(), Actor: Actor{ID: "reviewer-1", Name: "审核员甲"}, Action: HistEdit, Status: StatusDraft,
		Changes: []FieldChange{{Field: "abstract", Label: "信息资源摘要", Old: "旧摘要", New: "新摘要"}}}
	b.ReportAllocs()
	for b.Loop() {
		_ = row.with(row.Entry, &h)
	}
}
