package catalog

import "testing"

// encodeEntryV4 writes e as binary version 4 did: version 5 without the retention at its end.
func encodeEntryV4(w *binWriter, e *Entry) error {
	c := *e
	c.RetainSnapshots, c.RetainDays = nil, nil
	if err := encodeEntry(w, &c); err != nil {
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
	}, chunkBinary, []string{"entry\nb\x04"}, []string{"entry\nb\x05", "history\nb\x02"})
}
