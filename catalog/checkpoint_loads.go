package catalog

// Snapshots and runs are written in the binary chunk format (checkpoint_binary.go) rather than
// gob: a province whose every entry is loaded holds one of each per entry and per load kept, and
// gob decodes them by reflection, one allocation per string. Their ids, entry codes, sources,
// keys and messages are each object's own strings, decoded into one allocation per object; their
// kinds, districts, principals and statuses are looked up among the shared strings (compact.go).
// Chunks written by gob still load. The field lists below are the format (version 1): a field
// added to Snapshot, Run or RunInput must be added here too, or it is lost at restart
// (TestBinaryCodecCarriesEveryField fails until it is).

const binVersionLoads = 1

func encodeSnapshot(w *binWriter, s *Snapshot) error {
	w.uvarint(uint64(ownLen(s.ID, s.Entry, s.Parent, s.Run, s.ManifestKey)))
	w.str(s.ID)
	w.str(s.Entry)
	w.str(s.Parent)
	w.str(s.Run)
	w.str(s.ManifestKey)
	w.varint(s.Rows)
	w.varint(int64(s.Files))
	w.varint(s.Bytes)
	w.varint(int64(s.SchemaVersion))
	if err := w.time(s.CommittedAt); err != nil {
		return err
	}
	return w.time(s.ExpiredAt)
}

func decodeSnapshot(r *binReader, _ *Snapshot) *Snapshot {
	r.begin()
	s := &Snapshot{}
	s.ID = r.own()
	s.Entry = r.own()
	s.Parent = r.own()
	s.Run = r.own()
	s.ManifestKey = r.own()
	s.Rows = r.varint()
	s.Files = int(r.varint())
	s.Bytes = r.varint()
	s.SchemaVersion = int(r.varint())
	s.CommittedAt = r.time()
	s.ExpiredAt = r.time()
	return s
}

func encodeRun(w *binWriter, run *Run) error {
	own := ownLen(run.ID, run.Entry, run.Source, run.RejectedKey, run.Snapshot, run.Error, run.Watermark, run.Transform)
	for _, in := range run.Inputs {
		own += ownLen(in.Entry, in.Snapshot)
	}
	w.uvarint(uint64(own))
	w.str(run.ID)
	w.str(run.Entry)
	w.str(run.Kind)
	w.str(run.Source)
	w.str(run.District)
	w.str(run.Principal)
	w.str(run.Status)
	if err := w.time(run.StartedAt); err != nil {
		return err
	}
	if err := w.time(run.FinishedAt); err != nil {
		return err
	}
	w.varint(run.RowsRead)
	w.varint(run.RowsAccepted)
	w.varint(run.RowsRejected)
	w.varint(run.Bytes)
	w.str(run.RejectedKey)
	w.str(run.Snapshot)
	w.str(run.Error)
	w.str(run.Watermark)
	w.uvarint(uint64(len(run.Inputs)))
	for _, in := range run.Inputs {
		w.str(in.Entry)
		w.str(in.Snapshot)
	}
	w.str(run.Transform)
	return nil
}

func decodeRun(r *binReader, _ *Run) *Run {
	r.begin()
	run := &Run{}
	run.ID = r.own()
	run.Entry = r.own()
	run.Kind = r.shared()
	run.Source = r.own()
	run.District = r.shared()
	run.Principal = r.shared()
	run.Status = r.shared()
	run.StartedAt = r.time()
	run.FinishedAt = r.time()
	run.RowsRead = r.varint()
	run.RowsAccepted = r.varint()
	run.RowsRejected = r.varint()
	run.Bytes = r.varint()
	run.RejectedKey = r.own()
	run.Snapshot = r.own()
	run.Error = r.own()
	run.Watermark = r.own()
	if n := r.uvarint(); n > 0 && r.err == nil {
		if n > uint64(len(r.b)-r.off) {
			r.fail(errBinShort)
			return run
		}
		run.Inputs = make([]RunInput, n)
		for i := range run.Inputs {
			run.Inputs[i] = RunInput{Entry: r.own(), Snapshot: r.own()}
		}
	}
	run.Transform = r.own()
	return run
}
