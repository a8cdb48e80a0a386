package catalog

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withoutLoadSettings clears what binary versions before binVersionLoadSettings did not carry:
// the entry's load settings and its items' ranges, the transform (version 4) and the retention
// (version 5).
func withoutLoadSettings(e *Entry) {
	e.Rules, e.WriteMode, e.MaxRejectedPercent, e.Partitions = nil, "", nil, nil
	e.Transform = nil
	e.RetainSnapshots, e.RetainDays = nil, nil // version 5
	items := e.Items.Slice()
	for i := range items {
		items[i].Min, items[i].Max = "", ""
	}
	e.Items = ItemsOf(items...)
}

// TestBinaryV2CheckpointStillLoads: a checkpoint written by binary version 2 (packed items
// without ranges, no load settings) restores the same state; the next one is version 3.
func TestBinaryV2CheckpointStillLoads(t *testing.T) {
	restoresFromOlder(t, func(tables []ckptTable) {
		for i := range tables {
			if tables[i].typ == ckptEntry {
				tables[i].codec.encodeBin = func(w *binWriter, objs []any) error {
					w.uvarint(binVersionPackedItems)
					w.uvarint(uint64(len(objs)))
					for _, o := range objs {
						if err := encodeEntryV2(w, o.(*Entry)); err != nil {
							return err
						}
					}
					return nil
				}
			}
		}
	}, chunkBinary, []string{"entry\nb\x02"}, []string{"entry\nb\x06", "history\nb\x02"})
}

// A version 2 chunk of entries with every field it had set reads back as written, items and
// all, and one cut short is refused.
func TestBinaryV2ChunkCarriesEveryField(t *testing.T) {
	seq := 0
	var e Entry
	fillAll(t, reflect.ValueOf(&e), &seq)
	withoutLoadSettings(&e)
	objs := []any{&e, &Entry{ResourceCode: "0101/000009"}}
	var codec ckptCodec
	for _, tb := range ckptTables {
		if tb.typ == ckptEntry {
			codec = tb.codec
		}
	}
	w := &binWriter{b: []byte(string(ckptEntry) + "\nb")}
	w.uvarint(binVersionPackedItems)
	w.uvarint(uint64(len(objs)))
	for _, o := range objs {
		require.NoError(t, encodeEntryV2(w, o.(*Entry)))
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

// encodeEntryV2 is the encoder of binary version 2 as it was, kept to write such chunks.
func encodeEntryV2(w *binWriter, e *Entry) error {
	own := ownLen(e.ResourceCode, e.Table, e.Name, e.Abstract, e.SharingBasis, e.ExemptReason, e.CurrentSnapshot, e.Review.Comment) +
		ownLen(e.RelatedCodes...) + ownLen(e.RetiredFields...)
	w.uvarint(uint64(own))
	w.str(e.ResourceCode)
	w.str(e.Table)
	w.str(e.Name)
	w.str(e.CategoryCode)
	w.str(e.ProviderName)
	w.str(e.ProviderCode)
	w.str(e.Abstract)
	w.str(e.FormatType)
	w.uvarint(uint64(e.Items.Len()))
	w.str(packedV5(e.Items))
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

// encodeEntryV3 writes e as binary version 3 did: version 4 without the transform at its end.
func encodeEntryV3(w *binWriter, e *Entry) error {
	c := *e
	c.Transform = nil
	if err := encodeEntryV4(w, &c); err != nil {
		return err
	}
	w.b = w.b[:len(w.b)-1] // the empty transform's length
	return nil
}

// TestBinaryV3CheckpointStillLoads: a checkpoint written by binary version 3 (no transforms)
// restores the same state; the next one is version 4.
func TestBinaryV3CheckpointStillLoads(t *testing.T) {
	restoresFromOlder(t, func(tables []ckptTable) {
		for i := range tables {
			if tables[i].typ == ckptEntry {
				tables[i].codec.encodeBin = func(w *binWriter, objs []any) error {
					w.uvarint(binVersionLoadSettings)
					w.uvarint(uint64(len(objs)))
					for _, o := range objs {
						if err := encodeEntryV3(w, o.(*Entry)); err != nil {
							return err
						}
					}
					return nil
				}
			}
		}
	}, chunkBinary, []string{"entry\nb\x03"}, []string{"entry\nb\x06", "history\nb\x02"})
}
