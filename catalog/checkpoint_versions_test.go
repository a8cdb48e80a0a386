package catalog

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// restoresFromOlder checks that a checkpoint written with the tables as older changes them, and
// the history one object per version in the chunk format given (writeLegacyCheckpoint),
// restores the state it was written from, and that the next checkpoint, written in today's
// format, restores it too. written and next are byte strings each file must hold.
func restoresFromOlder(t *testing.T, older func(tables []ckptTable), history byte, written, next []string) {
	t.Helper()
	dir := t.TempDir()
	clock := newClock()
	ctx := context.Background()
	s := openTest(t, testConfig(dir, clock))
	populate(t, s, clock)
	e := validEntry("000009", "described")
	addItems(e, Item{Name: "联系电话", Field: "phone", Type: schemas.String, Length: 20, Grade: schemas.General3,
		PIType: "MOBILE", Description: "值班室电话，不对外公开"})
	setItem(e, 0, func(it *Item) { it.Description = "区县代码（六位）" })
	require.NoError(t, s.PutEntry(ctx, e))
	state := stateJSON(t, s.View())
	saved := ckptTables
	ckptTables = append([]ckptTable(nil), saved...)
	older(ckptTables)
	s.mu.Lock()
	writeLegacyCheckpoint(t, filepath.Join(dir, checkpointName), s.View().txn, s.Index(), clock.Now(), history)
	s.mu.Unlock()
	ckptTables = saved
	s.crash()
	for _, seg := range mustSegments(t, dir) {
		require.NoError(t, os.Remove(seg.path)) // the checkpoint alone holds the state
	}
	raw, err := os.ReadFile(filepath.Join(dir, checkpointName))
	require.NoError(t, err)
	for _, w := range written {
		require.Contains(t, string(raw), w, "written in the older format")
	}

	s = openTest(t, testConfig(dir, clock))
	assert.JSONEq(t, state, stateJSON(t, s.View()))
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "SOIL_DIV", Name: "土壤处", Kind: DepartmentDivision}))
	state = stateJSON(t, s.View())
	require.NoError(t, s.Close())
	raw, err = os.ReadFile(filepath.Join(dir, checkpointName))
	require.NoError(t, err)
	for _, n := range next {
		require.Contains(t, string(raw), n, "the next checkpoint is today's")
	}
	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	assert.JSONEq(t, state, stateJSON(t, s.View()))
}

// TestGobCheckpointStillLoads: a checkpoint whose entries, history, snapshots and runs were
// written by gob, as every checkpoint before the binary format (items as an []Item, the mirror
// form of checkpoint_gob.go; history one object per version), restores the same state; the next
// one is binary, with packed items and history rows.
func TestGobCheckpointStillLoads(t *testing.T) {
	restoresFromOlder(t, func(tables []ckptTable) {
		for i := range tables {
			tables[i].codec.encodeBin = nil
		}
	}, chunkGob, []string{"entry\ng", "history\ng", "snapshot\ng", "run\ng"},
		[]string{"entry\nb\x06", "history\nb\x02", "snapshot\nb\x01", "run\nb\x01"})
}

// TestBinaryV1CheckpointStillLoads: a checkpoint written by binary version 1, entries with their
// items one field after another and history one object per version, restores the same state;
// the next one holds packed items and history rows.
func TestBinaryV1CheckpointStillLoads(t *testing.T) {
	restoresFromOlder(t, func(tables []ckptTable) {
		for i := range tables {
			if tables[i].typ == ckptEntry {
				tables[i].codec.encodeBin = func(w *binWriter, objs []any) error {
					w.uvarint(binVersion)
					w.uvarint(uint64(len(objs)))
					for _, o := range objs {
						if err := encodeEntryV1(w, o.(*Entry)); err != nil {
							return err
						}
					}
					return nil
				}
			}
		}
	}, chunkBinary, []string{"entry\nb\x01", "history\nb\x01"}, []string{"entry\nb\x06", "history\nb\x02"})
}

// A version 1 chunk of entries with every field set reads back as written, and one cut short is
// refused.
func TestBinaryV1ChunkCarriesEveryField(t *testing.T) {
	seq := 0
	var e Entry
	fillAll(t, reflect.ValueOf(&e), &seq)
	withoutLoadSettings(&e) // version 1 had none
	objs := []any{&e, &Entry{ResourceCode: "0101/000009"}}
	var codec ckptCodec
	for _, tb := range ckptTables {
		if tb.typ == ckptEntry {
			codec = tb.codec
		}
	}
	w := &binWriter{b: []byte(string(ckptEntry) + "\nb")}
	w.uvarint(binVersion)
	w.uvarint(uint64(len(objs)))
	for _, o := range objs {
		require.NoError(t, encodeEntryV1(w, o.(*Entry)))
	}
	codecs := map[string]ckptCodec{string(ckptEntry): codec}
	got, _, err := decodeChunk(codecs, w.b)
	require.NoError(t, err)
	for _, o := range got {
		o.(*Entry).marks = 0 // set by prepare, not stored
	}
	assert.Equal(t, objs, got)
	for _, cut := range []int{1, 7, len(w.b) / 2} {
		_, _, err := decodeChunk(codecs, w.b[:len(w.b)-cut])
		assert.Error(t, err, "cut by %d", cut)
	}
}

// encodeEntryV1 is the encoder of binary version 1 as it was, kept to write such chunks: an
// entry field added without a new version makes version 1 chunks fail to restore here.
func encodeEntryV1(w *binWriter, e *Entry) error {
	items := e.Items.Slice()
	own := ownLen(e.ResourceCode, e.Table, e.Name, e.Abstract, e.SharingBasis, e.ExemptReason, e.CurrentSnapshot, e.Review.Comment) +
		ownLen(e.RelatedCodes...) + ownLen(e.RetiredFields...)
	for i := range items {
		own += len(items[i].Description)
	}
	w.uvarint(uint64(own))
	w.str(e.ResourceCode)
	w.str(e.Table)
	w.str(e.Name)
	w.str(e.CategoryCode)
	w.str(e.ProviderName)
	w.str(e.ProviderCode)
	w.str(e.Abstract)
	w.str(e.FormatType)
	w.uvarint(uint64(len(items)))
	for i := range items {
		it := &items[i]
		w.varint(int64(it.ID))
		w.str(it.Name)
		w.str(it.Field)
		w.str(string(it.Type))
		w.varint(int64(it.Length))
		w.boolean(it.Required)
		w.boolean(it.IsKey)
		w.str(string(it.Grade))
		w.str(it.PIType)
		w.str(it.CodeList)
		w.str(it.Description)
	}
	w.str(e.ShareType)
	w.str(e.ShareCondition)
	w.str(e.ShareMode)
	w.str(e.OpenType)
	w.str(e.OpenCondition)
	w.str(e.SharingBasis)
	w.str(string(e.UpdateCycle))
	if err := w.time(e.PublishDate); err != nil {
		return err
	}
	w.str(e.Status)
	w.strs(e.RelatedCodes)
	w.str(e.Department)
	w.str(e.District)
	w.str(e.SourceKind)
	w.strs(e.Domains)
	w.strs(e.BusinessItems)
	w.strs(e.Scenes)
	w.boolean(e.Secret)
	w.boolean(e.Exempt)
	w.str(e.ExemptReason)
	w.str(string(e.GradeOverride))
	w.varint(int64(e.LastItemID))
	w.strs(e.RetiredFields)
	w.str(e.CurrentSnapshot)
	if err := w.time(e.CreatedAt); err != nil {
		return err
	}
	if err := w.time(e.UpdatedAt); err != nil {
		return err
	}
	w.uvarint(e.ModifyIndex)
	w.uvarint(e.Revision)
	w.strs(e.Review.Editors)
	w.str(e.Review.UpdatedBy)
	w.str(e.Review.SubmittedBy)
	w.str(e.Review.Comment)
	return nil
}
