package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Group commit: concurrent commands share one transaction, one write and one fsync, nothing is
// visible before it is durable, and each writer is woken once, when its command is settled.
//
// Apply. A writer queues its command (s.qmu). If no writer is applying, it becomes the applier:
// it takes every queued command and validates, applies and appends each in turn to s.head (every
// accepted command applied, durable or not), in one memdb transaction, with its framed record
// staged; under s.mu it commits the transaction, appends the records to s.pending and the
// commands to s.waiting. Commands are totally ordered and each validates against all those
// before it; one refused by its validation or its apply appends nothing, leaves the others alone
// and is settled at once with its error. If more commands were queued meanwhile, a goroutine of
// its own goes on applying them, so the applier's caller is not held.
//
// Sync. The applier that commits a batch while no sync is under way (s.syncing) starts one: it
// seals the batch (the pending records, the waiting commands and a snapshot of head that reflects
// exactly them), releases s.mu, writes the records to the journal and fsyncs it, and under s.mu
// again installs the snapshot as the durable state that View reads and advances the index. Then
// it settles the sealed commands. A writer syncs the batch its own command is in; if more is
// pending by then, a goroutine of its own syncs batch after batch until nothing is. Commands that
// arrive during an fsync form the next batch: with many writers one fsync serves many commands,
// with one writer it is one fsync per command and no hand-over between goroutines.
//
// Invariants: no reader sees a command (View, Index, Changed) and no caller gets success before
// the fsync covering its record has returned; commands become visible in journal order, a batch
// at a time. A failed write or fsync fails every command not yet durable and leaves the store
// refusing writes (s.failed); the journal is cut back to what the last fsync covered, as far as
// the file system still lets it. A full disk is the exception (diskfull.go): once the cut is
// durable, head is rolled back to the durable state and writes are taken again. head tracks no
// memdb watch channels (it is not memdb's primary), so no watch taken on a View ever fires: live
// views wait on Changed.

// queued is a command on its way into the journal.
type queued struct {
	typ      cmdType
	a        applier
	body     []byte
	cmd      any // decoded from body; decoded again if it must be applied a second time
	tried    bool
	validate func(txn *memdb.Txn) error
	at       time.Time

	done chan struct{} // closed once durable (idx) or refused (err)
	idx  uint64
	err  error
}

// submit runs one command and returns once it is durable and visible, or failed.
func (s *Store) submit(ctx context.Context, typ cmdType, payload any, validate func(txn *memdb.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a, ok := appliers[typ]
	if !ok {
		return fmt.Errorf("command %s has no applier: %w", typ, ErrInvalid)
	}
	// Encoding and decoding depend on nothing in the state: outside the lock. What is applied is
	// what was decoded from the journal's bytes, exactly as replay will apply it.
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	cmd, err := a.apply.decode(body)
	if err != nil {
		return fmt.Errorf("decode %s: %w", typ, err)
	}
	q := &queued{typ: typ, a: a, body: body, cmd: cmd, validate: validate, done: make(chan struct{})}
	s.qmu.Lock()
	s.queue = append(s.queue, q)
	lead := !s.applying
	s.applying = true
	s.qmu.Unlock()
	if lead && s.applyQueue(false) {
		s.syncLoop(false)
	}
	// Accepted or not, the outcome is decided by the journal now, not by ctx.
	<-q.done
	return q.err
}

// applyQueue applies the queued commands, batch after batch, and gives up the applier's role when
// none is left. A writer applies one batch (its own command is in it) and hands what was queued
// meanwhile to a goroutine; that goroutine (keep) applies until the queue is empty. It reports
// whether the writer must now sync; the goroutine starts syncs on goroutines of their own.
func (s *Store) applyQueue(keep bool) (sync bool) {
	for {
		s.qmu.Lock()
		batch := s.queue
		s.queue = nil
		if len(batch) == 0 {
			s.applying = false
			s.qmu.Unlock()
			return sync
		}
		s.qmu.Unlock()
		for rest := batch; len(rest) > 0; {
			n, applied, start := s.applyBatch(rest)
			if !applied {
				for _, q := range rest[:n] {
					close(q.done)
				}
			}
			// An applied command belongs to the sync from here on: not touched again.
			rest = rest[n:]
			if start && keep {
				go s.syncLoop(true)
			}
			sync = sync || start
		}
		if !keep {
			s.qmu.Lock()
			idle := len(s.queue) == 0
			if idle {
				s.applying = false // nothing more: no goroutine to start (a lone writer's case)
			}
			s.qmu.Unlock()
			if !idle {
				go s.applyQueue(true)
			}
			return sync
		}
	}
}

// applyBatch applies commands from the front of batch in one transaction on head and appends
// their records to the pending batch; it returns how many it settled, whether they were applied
// (or refused, their errors set) and whether the caller must start a sync. Each command
// validates against all those before it, as if applied alone. A command refused by its
// validation or its apply leaves nothing behind: the transaction is dropped, the commands before
// it are applied again without it, and it is settled with its error on its own.
//
// Only the applier writes head (memdb's writer lock would serialise it anyway), so the commands
// are applied without s.mu: a sync can seal and install batches meanwhile. s.mu is taken to read
// where the journal stands and to commit, where the transaction, the records and the written
// index change together, as the seal expects.
func (s *Store) applyBatch(batch []*queued) (n int, applied, start bool) {
	s.mu.Lock()
	err, written, head, gen := s.writableLocked(), s.written, s.head, s.headGen
	s.mu.Unlock()
	if err != nil {
		return s.refuse(batch, err), false, false
	}
	txn := head.Txn(true)
	defer txn.Abort()
	staged := s.staged[:0]
	for i, q := range batch {
		var err error
		staged, err = s.stage(txn, q, written+uint64(i)+1, staged)
		if err == nil {
			continue
		}
		if i == 0 {
			q.err = err
			return 1, false, false
		}
		txn.Abort()
		return s.applyBatch(batch[:i])
	}
	s.staged = staged[:0]
	s.mu.Lock()
	if s.headGen != gen {
		// head was rolled back meanwhile (diskfull.go): apply again to the state left.
		s.mu.Unlock()
		txn.Abort()
		return s.applyBatch(batch)
	}
	defer s.mu.Unlock()
	if err := s.writableLocked(); err != nil {
		return s.refuse(batch, err), false, false // closed or failed while it was being applied
	}
	txn.Commit()
	for i, q := range batch {
		q.idx = written + uint64(i) + 1
	}
	s.pending = append(s.pending, staged...)
	s.waiting = append(s.waiting, batch...)
	s.written = written + uint64(len(batch))
	bytes := int64(len(staged))
	s.sinceCkpt += len(batch)
	s.sinceBytes += bytes
	s.statsMu.Lock()
	s.stats.JournalBytes += bytes
	s.stats.Transactions++
	s.statsMu.Unlock()
	start = !s.syncing
	s.syncing = true
	return len(batch), true, start
}

// refuse settles every command of batch with err.
func (s *Store) refuse(batch []*queued, err error) int {
	for _, q := range batch {
		q.err = fmt.Errorf("%s: %w", q.typ, err)
	}
	return len(batch)
}

// writableLocked says why the store takes no command, or nil. Callers hold s.mu.
func (s *Store) writableLocked() error {
	if s.closed {
		return ErrClosed
	}
	if s.failed != nil {
		return fmt.Errorf("journal unusable after %v: %w", s.failed, ErrClosed)
	}
	if s.raft != nil && !s.raft.ready {
		return ErrNotLeader
	}
	return nil
}

// stage validates and applies one command at index idx in txn and appends its framed record to
// pending. Only the applier calls it.
func (s *Store) stage(txn *memdb.Txn, q *queued, idx uint64, pending []byte) ([]byte, error) {
	if q.tried {
		// The apply may have changed what it was given: start again from the record's bytes.
		cmd, err := q.a.apply.decode(q.body)
		if err != nil {
			return pending, fmt.Errorf("decode %s: %w", q.typ, err)
		}
		q.cmd = cmd
	} else {
		q.tried, q.at = true, s.cfg.Clock().UTC()
	}
	if q.validate != nil {
		if err := q.validate(txn); err != nil {
			return pending, err
		}
	}
	rec := record{Index: idx, Type: q.typ, Version: q.a.version, At: q.at, Payload: q.body}
	// Applied before it is appended: a command that validates but does not apply is refused
	// without leaving a record the state does not reflect.
	if err := applyDecoded(txn, &rec, q.a, q.cmd); err != nil {
		return pending, fmt.Errorf("apply %s at index %d: %w", q.typ, rec.Index, err)
	}
	out, err := appendFramed(pending, func(b []byte) ([]byte, error) { return appendRecord(b, &rec) })
	if err != nil {
		return pending, fmt.Errorf("encode %s record: %w", q.typ, err)
	}
	return out, nil
}

// syncLoop syncs the pending batches and settles their commands, then gives up the role (s.syncing)
// when nothing is pending. A writer syncs one batch and hands what is pending by then to a
// goroutine; that goroutine (keep) syncs until nothing is.
func (s *Store) syncLoop(keep bool) {
	for {
		s.mu.Lock()
		if len(s.waiting) == 0 {
			s.endSyncLocked()
			s.mu.Unlock()
			return
		}
		sealed := s.syncBatchLocked()
		s.mu.Unlock()
		for _, q := range sealed {
			close(q.done)
		}
		if !keep {
			s.mu.Lock()
			idle := len(s.waiting) == 0
			if idle {
				s.endSyncLocked() // nothing more: no goroutine to start (a lone writer's case)
			}
			s.mu.Unlock()
			if !idle {
				go s.syncLoop(true)
			}
			return
		}
	}
}

// endSyncLocked gives up the sync role and wakes Close, if it waits for it. Callers hold s.mu.
func (s *Store) endSyncLocked() {
	s.syncing = false
	s.idle.Broadcast()
}

// waitSyncIdleLocked waits until no sync is under way: every accepted command is then durable,
// or failed. Callers hold s.mu; it is released while waiting.
func (s *Store) waitSyncIdleLocked() {
	for s.syncing {
		s.idle.Wait()
	}
}

// syncBatchLocked writes and fsyncs the pending batch, then makes it visible, and returns the
// commands it holds, their outcome set. When the journal has failed, it fails them without
// writing. When a checkpoint is due it also rotates the journal at the batch's end, so that the
// segments before hold exactly what the checkpoint will cover, and starts the checkpoint once the
// batch is durable. Callers hold s.mu and the sync role; s.mu is released during the write and
// fsync.
func (s *Store) syncBatchLocked() []*queued {
	if s.raft != nil {
		return s.syncRaftLocked()
	}
	sealed := s.waiting
	s.waiting = nil
	if s.failed != nil {
		s.failSealed(sealed)
		return sealed
	}
	upto := s.written
	snap := s.head.Snapshot()
	j, batch := s.j, s.pending
	s.pending = s.spare[:0]
	rotated := false
	if s.checkpointNowLocked() {
		if nj, err := s.newSegment(upto + 1); err != nil {
			s.log.Error("catalog checkpoint: cannot start a new journal segment", "err", err)
		} else {
			s.j, rotated = nj, true
			s.ckptCarry = ckptCarry{idx: upto, n: s.sinceCkpt, bytes: s.sinceBytes}
			s.sinceCkpt, s.sinceBytes = 0, 0
		}
	}
	s.mu.Unlock()
	began := time.Now()
	err := s.commitJournal(j, batch)
	took := time.Since(began)
	if rotated && err == nil {
		if cerr := j.close(); cerr != nil {
			err = fmt.Errorf("close journal %s: %w", j.seg.path, cerr)
		}
	}
	s.mu.Lock()
	if cap(batch) <= maxSpare {
		s.spare = batch[:0]
	}
	if err != nil {
		if j.f != nil && isNoSpace(err) {
			if later, ok := s.rollBackLocked(j, rotated, sealed, err); ok {
				return append(sealed, later...)
			}
		}
		s.failed = err
		_ = j.cut() // best effort: drop what no fsync covered
		if rotated {
			_ = j.close()
		}
		s.log.Error("catalog journal write failed: writes refused until restart", "err", err)
		s.failSealed(sealed)
		return sealed
	}
	prev := s.Index()
	s.durable.Store(snap)
	s.advance(upto)
	s.noteSynced(upto-prev, took)
	if rotated {
		s.checkpointAsync(snap, upto)
	}
	return sealed
}

// failSealed fails the commands of a batch the journal could not take. Callers hold s.mu.
func (s *Store) failSealed(sealed []*queued) {
	for _, q := range sealed {
		q.err = fmt.Errorf("%s at index %d: journal failed before it was durable: %w: %w", q.typ, q.idx, s.failed, ErrClosed)
	}
}

// maxSpare bounds the batch buffer kept for reuse.
const maxSpare = 4 << 20

// commitJournal writes batch to j and fsyncs, after the test seam syncHook when one is set.
func (s *Store) commitJournal(j *journal, batch []byte) error {
	if s.syncHook != nil {
		if err := s.syncHook(); err != nil {
			return fmt.Errorf("sync journal %s: %w", j.seg.path, err)
		}
	}
	return j.commit(batch)
}

// noteSynced counts n commands made durable by one sync (a journal fsync, or a raft commit)
// that took took.
func (s *Store) noteSynced(n uint64, took time.Duration) {
	s.statsMu.Lock()
	s.stats.Commands += int64(n)
	s.stats.Syncs++
	s.stats.SyncTime += took
	s.statsMu.Unlock()
}
