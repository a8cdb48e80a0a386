package catalog

import "testing"

// encodeEntryV4 writes e as binary version 4 did: version 5 without the retention at its end.
func encodeEntryV4(w *binWriter, e *Entry) error {
	c := *e
	c.RetainSnapshots, c.RetainDays = nil, nil
	if err := encodeEntryV5(w, &c); err != nil {
		return err
	}
	w.b = w.b[:len(w.b)-2] // the two absent retention settings
	return nil
}

// TestBinaryV4CheckpointStillLoads: a checkpoint written by binary version 4 (no retention)
// restores the same state; the next one is version 5.
func TestBinaryV4CheckpointStillLoads(t *testing.T) {
	restoresFromOlder(t, func(tables []ckptTable) {
		for i := range tables {
			if tables[i].typ == ckptEntry {
				tables[i].codec.encodeBin = func(w *binWriter, objs []any) error {
					w.uvarint(binVersionTransform)
					w.uvarint(uint64(len(objs)))
					for _, o := range objs {
						if err := encodeEntryV4(w, o.(*Entry)); err != nil {
							return err
						}
					}
					return nil
				}
			}
		}
	}, chunkBinary, []string{"entry\nb\x04"}, []string{"entry\nb\x06", "history\nb\x02"})
}

// encodeEntryV5 writes e as binary version 5 did: version 6 with the items as one packed string
// (each item's description after its CodeList) after their count.
func encodeEntryV5(w *binWriter, e *Entry) error {
	c := *e
	c.Items = ItemList{}
	var head binWriter
	if err := encodeEntry(&head, &c); err != nil {
		return err
	}
	// The items lie after the own-strings count and eight strings; empty, they are two empty
	// strings.
	r := binReader{b: head.b}
	r.uvarint()
	for range 8 {
		r.bytes()
	}
	w.b = append(w.b, head.b[:r.off]...)
	w.uvarint(uint64(e.Items.Len()))
	w.str(packedV5(e.Items))
	w.b = append(w.b, head.b[r.off+2:]...)
	return nil
}

// packedV5 is the list packed as one string, as versions before binVersionShapes stored it.
func packedV5(l ItemList) string {
	var p packer
	for _, it := range l.All() {
		var shape packer
		packShape(&shape, &it)
		s := shape.b.String()
		if it.Min != "" || it.Max != "" { // the range follows the description
			var rng packer
			rng.str(it.Min)
			rng.str(it.Max)
			s = s[:len(s)-rng.b.Len()]
		}
		p.b.WriteString(s)
		p.str(it.Description)
		if it.Min != "" || it.Max != "" {
			p.str(it.Min)
			p.str(it.Max)
		}
	}
	return p.b.String()
}

// TestBinaryV5CheckpointStillLoads: a checkpoint written by binary version 5 (items as one
// packed string) restores the same state, descriptions and ranges included; the next one is
// version 6.
func TestBinaryV5CheckpointStillLoads(t *testing.T) {
	restoresFromOlder(t, func(tables []ckptTable) {
		for i := range tables {
			if tables[i].typ == ckptEntry {
				tables[i].codec.encodeBin = func(w *binWriter, objs []any) error {
					w.uvarint(binVersionRetention)
					w.uvarint(uint64(len(objs)))
					for _, o := range objs {
						if err := encodeEntryV5(w, o.(*Entry)); err != nil {
							return err
						}
					}
					return nil
				}
			}
		}
	}, chunkBinary, []string{"entry\nb\x05"}, []string{"entry\nb\x06", "history\nb\x02"})
}
