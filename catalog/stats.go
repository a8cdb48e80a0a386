package catalog

// Stats counts what the store has written since Open, for benchmarks and operators.
type Stats struct {
	Commands        int64 // commands made durable
	Syncs           int64 // journal fsyncs (fewer than Commands when commits were grouped)
	Transactions    int64 // memdb transactions that applied commands (fewer when writers queued)
	JournalBytes    int64 // framed bytes appended to the journal
	Checkpoints     int64 // checkpoints installed
	CheckpointBytes int64 // bytes of the checkpoints installed
}

// Stats returns the counters of the store.
func (s *Store) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.stats
}
