package catalog

import "time"

// Stats counts what the store has written since Open, for benchmarks and operators.
type Stats struct {
	Commands        int64         // commands made durable
	Syncs           int64         // journal fsyncs (fewer than Commands when commits were grouped)
	SyncTime        time.Duration // total time of the journal writes and fsyncs counted in Syncs
	Transactions    int64         // memdb transactions that applied commands (fewer when writers queued)
	JournalBytes    int64         // framed bytes appended to the journal
	Checkpoints     int64         // checkpoints installed
	CheckpointBytes int64         // bytes of the checkpoints installed

	// JournalPendingBytes is the journal written since the last checkpoint began: what a start
	// replays on top of the checkpoint (as found at Open, and as written since).
	JournalPendingBytes int64
	// JournalFailed: a journal write or fsync failed and the store refuses writes until restart
	// (reads go on).
	JournalFailed bool
}

// Stats returns the counters of the store.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	pending, failed := s.sinceBytes, s.failed != nil
	s.mu.Unlock()
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	st := s.stats
	st.JournalPendingBytes, st.JournalFailed = pending, failed
	return st
}

// Closed reports whether Close was called (or Open failed): the store answers no more.
func (s *Store) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
