package catalog

import (
	"encoding/json"
	"fmt"
	"unsafe"

	"github.com/cqeco/ecolake/schemas"
)

// Entries and their history are most of a checkpoint, and gob spends most of a start-up
// decoding them by reflection, one allocation per string. Their chunks are written in a
// format of their own instead (chunk format 'b'; history rows in history_pack.go, version 1
// history chunks read here), field by field in a fixed order:
// unsigned and signed varints, strings as length and bytes, slices as length and elements
// (empty decodes as nil, as gob gives it), times as time.Time.AppendBinary (what gob stores).
// Each object starts with the byte count of its strings that no other object shares (names,
// abstracts, notes); they are decoded into one allocation per object. Strings the directory
// repeats (codes, actors) are looked up among the shared strings (compact.go) and allocated on
// their own when new. An entry's items are its ItemList's packed string as it is (version 2):
// restored in one copy, checked, never decoded item by item. Version 3 adds the entry's load
// settings at its end, and items whose packed form may carry a range (ItemList).
//
// The field lists below are the formats: a field added to Entry or Review must be added here
// too, and one added to Item to ItemsOf and itemReader, or it is lost at restart
// (TestBinaryCodecCarriesEveryField fails until it is). Chunks of versions 1 and 2 and chunks
// written by gob or JSON still load.

func encodeEntry(w *binWriter, e *Entry) error {
	own := ownLen(e.ResourceCode, e.Table, e.Name, e.Abstract, e.SharingBasis, e.ExemptReason, e.CurrentSnapshot, e.Review.Comment) +
		ownLen(e.RelatedCodes...) + ownLen(e.RetiredFields...) + ownLen(e.Rules...)
	w.uvarint(uint64(own))
	w.str(e.ResourceCode)
	w.str(e.Table)
	w.str(e.Name)
	w.str(e.CategoryCode)
	w.str(e.ProviderName)
	w.str(e.ProviderCode)
	w.str(e.Abstract)
	w.str(e.FormatType)
	shape, desc := e.Items.Texts() // version 6: the shape and the descriptions as they are
	w.str(shape)
	w.str(desc)
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
	// version 3: the load settings
	w.strs(e.Rules)
	w.str(e.WriteMode)
	w.optFloat(e.MaxRejectedPercent)
	w.strs(e.Partitions)
	// version 4: the transform of a derived entry, as JSON (few entries have one)
	var t []byte
	if e.Transform != nil {
		var err error
		if t, err = json.Marshal(e.Transform); err != nil {
			return fmt.Errorf("entry %s: transform: %w", e.ResourceCode, err)
		}
	}
	w.uvarint(uint64(len(t)))
	w.b = append(w.b, t...)
	// version 5: the snapshot retention
	w.optInt(e.RetainSnapshots)
	w.optInt(e.RetainDays)
	return nil
}

func decodeEntry(r *binReader) *Entry {
	if r.version < binVersionPackedItems {
		r.beginExcept(descriptionsV1(*r)) // packed with the items instead
	} else {
		r.begin()
	}
	e := &Entry{}
	e.ResourceCode = r.own()
	e.Table = r.own()
	e.Name = r.own()
	e.CategoryCode = r.shared()
	e.ProviderName = r.shared()
	e.ProviderCode = r.shared()
	e.Abstract = r.own()
	e.FormatType = r.shared()
	if r.version < binVersionPackedItems {
		e.Items = decodeItemsV1(r)
	} else {
		var (
			items ItemList
			err   error
		)
		if r.version < binVersionShapes {
			n, b := r.uvarint(), r.bytes()
			if r.err == nil {
				items, err = packedItems(unsafe.String(unsafe.SliceData(b), len(b)), n) // copied by the list
			}
		} else {
			shape, desc := r.bytes(), r.bytes()
			if r.err == nil {
				items, err = r.shapes.items(unsafe.String(unsafe.SliceData(shape), len(shape)), unsafe.String(unsafe.SliceData(desc), len(desc)))
			}
		}
		if err != nil {
			r.fail(fmt.Errorf("entry %s: %w", e.ResourceCode, err))
		}
		e.Items = items
	}
	e.ShareType = r.shared()
	e.ShareCondition = r.shared()
	e.ShareMode = r.shared()
	e.OpenType = r.shared()
	e.OpenCondition = r.shared()
	e.SharingBasis = r.own()
	e.UpdateCycle = schemas.UpdateCycle(r.shared())
	e.PublishDate = r.time()
	e.Status = r.shared()
	e.RelatedCodes = r.ownAll()
	e.Department = r.shared()
	e.District = r.shared()
	e.SourceKind = r.shared()
	e.Domains = r.sharedAll()
	e.BusinessItems = r.sharedAll()
	e.Scenes = r.sharedAll()
	e.Secret = r.boolean()
	e.Exempt = r.boolean()
	e.ExemptReason = r.own()
	e.GradeOverride = schemas.Grade(r.shared())
	e.LastItemID = int32(r.varint())
	e.RetiredFields = r.ownAll()
	e.CurrentSnapshot = r.own()
	e.CreatedAt = r.time()
	e.UpdatedAt = r.time()
	e.ModifyIndex = r.uvarint()
	e.Revision = r.uvarint()
	e.Review.Editors = r.sharedAll()
	e.Review.UpdatedBy = r.shared()
	e.Review.SubmittedBy = r.shared()
	e.Review.Comment = r.own()
	if r.version >= binVersionLoadSettings {
		e.Rules = r.ownAll()
		e.WriteMode = r.shared()
		e.MaxRejectedPercent = r.optFloat()
		e.Partitions = r.sharedAll()
	}
	if r.version >= binVersionTransform {
		if b := r.bytes(); len(b) > 0 && r.err == nil {
			e.Transform = new(Transform)
			if err := json.Unmarshal(b, e.Transform); err != nil {
				r.fail(fmt.Errorf("entry %s: transform: %w", e.ResourceCode, err))
			}
		}
	}
	if r.version >= binVersionRetention {
		e.RetainSnapshots = r.optInt()
		e.RetainDays = r.optInt()
	}
	return e
}

// decodeItemsV1 reads the items of an entry of version 1, one field after another, and packs
// them. Their descriptions were counted among the entry's own strings (descriptionsV1), but are
// packed instead.
func decodeItemsV1(r *binReader) ItemList {
	n := r.uvarint()
	if n == 0 || r.err != nil {
		return ItemList{}
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail(errBinShort)
		return ItemList{}
	}
	// The strings are read where they lie in the chunk: ItemsOf copies them below.
	view := func() string {
		b := r.bytes()
		if len(b) == 0 {
			return ""
		}
		return unsafe.String(&b[0], len(b))
	}
	items := make([]Item, n)
	for i := range items {
		it := &items[i]
		it.ID = int(r.varint())
		it.Name = view()
		it.Field = view()
		it.Type = schemas.DataType(view())
		it.Length = int(r.varint())
		it.Required = r.boolean()
		it.IsKey = r.boolean()
		it.Grade = schemas.Grade(view())
		it.PIType = view()
		it.CodeList = view()
		it.Description = view()
	}
	return ItemsOf(items...)
}

// descriptionsV1 is the byte count of the item descriptions of the version 1 entry r is at,
// read ahead on a copy of r.
func descriptionsV1(r binReader) int {
	r.uvarint() // own strings
	for range 8 {
		r.bytes() // ResourceCode … FormatType
	}
	n := 0
	for range min(r.uvarint(), uint64(len(r.b))) {
		r.varint()
		r.bytes()
		r.bytes()
		r.bytes()
		r.varint()
		r.boolean()
		r.boolean()
		r.bytes()
		r.bytes()
		r.bytes()
		n += len(r.bytes())
	}
	return n
}

// decodeHistory decodes one version of a version 1 history chunk, which held one object per
// version (history_pack.go writes rows now); prev is the one before in the chunk, whose entry
// code it shares when it is the same entry's.
func decodeHistory(r *binReader, prev *History) *History {
	r.begin()
	h := &History{}
	if b := r.bytes(); prev != nil && string(b) == prev.Entry {
		h.Entry = prev.Entry
	} else {
		h.Entry = string(b)
	}
	h.Index = r.uvarint()
	h.At = r.time()
	h.Actor.ID = r.shared()
	h.Actor.Name = r.shared()
	h.Action = r.shared()
	h.Status = r.shared()
	h.Note = r.own()
	if n := r.uvarint(); n > 0 && r.err == nil {
		if n > uint64(len(r.b)-r.off) {
			r.fail(errBinShort)
			return nil
		}
		h.Changes = make([]FieldChange, n)
		for i := range h.Changes {
			c := &h.Changes[i]
			c.Field, c.Label, c.Old, c.New = r.own(), r.own(), r.own(), r.own()
		}
	}
	return h
}

// binaryCodec gives c the binary format of the given version, with encode and decode for one
// object of type T; dec reads every version up to it (binReader.version).
func binaryCodec[T any](c ckptCodec, version uint64, enc func(*binWriter, *T) error, dec func(r *binReader, prev *T) *T) ckptCodec {
	c.encodeBin = func(w *binWriter, objs []any) error {
		w.uvarint(version)
		w.uvarint(uint64(len(objs)))
		for _, o := range objs {
			if err := enc(w, o.(*T)); err != nil {
				return err
			}
		}
		return nil
	}
	c.decodeBin = func(body []byte) ([]any, error) { return decodeBinary(body, version, dec) }
	return c
}

// decodeBinary decodes the objects of a binary chunk body of a version from 1 to version.
func decodeBinary[T any](body []byte, version uint64, dec func(r *binReader, prev *T) *T) ([]any, error) {
	r := &binReader{b: body}
	if r.version = r.uvarint(); r.err == nil && (r.version < 1 || r.version > version) {
		return nil, fmt.Errorf("binary chunk version %d is not supported", r.version)
	}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(body)) {
		return nil, fmt.Errorf("binary chunk: bad object count")
	}
	out := make([]any, 0, n)
	var prev *T
	for range n {
		o := dec(r, prev)
		if r.err != nil {
			return nil, r.err
		}
		if len(r.arena) != cap(r.arena) {
			return nil, fmt.Errorf("object announced %d bytes of strings, holds %d", cap(r.arena), len(r.arena))
		}
		out = append(out, o)
		prev = o
	}
	if r.off != len(body) {
		return nil, fmt.Errorf("%d bytes after the last object", len(body)-r.off)
	}
	return out, nil
}
