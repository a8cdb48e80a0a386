package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Group commit: concurrent commands share one transaction, one write and one fsync, and nothing
// is visible before it is durable.
//
// Apply. A writer queues its command (s.qmu). If no writer is applying, it becomes the applier:
// under s.mu it takes every queued command and validates, applies and appends each in turn to
// s.head (every accepted command applied, durable or not), in one memdb transaction, with its
// framed record appended to s.pending. Commands are totally ordered and each validates against
// all those before it; one refused by its validation or its apply appends nothing and leaves the
// others alone. The applier settles each command it took (closing its channel), so the writers
// behind it never touch s.mu; if more were queued meanwhile, a goroutine of its own goes on
// applying them and the applier's caller is not held.
//
// Durability. A settled command waits until its record is durable. A waiter that finds no fsync
// under way (s.syncing, taken by compare-and-swap) becomes the leader: under s.mu it seals the
// batch (the pending records and a snapshot of head that reflects exactly them), releases s.mu,
// writes the records to the journal and fsyncs it, and under s.mu again installs the snapshot as
// the durable state that View reads and advances the index. It clears s.syncing and only then
// wakes the waiters (s.syncEnd), so a waiter whose record missed the batch finds the way free and
// leads the next one. With many writers one fsync serves many commands, with one writer it is one
// fsync per command.
//
// Invariants: no reader sees a command (View, Index, Changed) and no caller gets success before
// the fsync covering its record has returned; commands become visible in journal order, a batch
// at a time. A failed write or fsync fails every command not yet durable and leaves the store
// refusing writes (s.failed); the journal is cut back to what the last fsync covered, as far as
// the file system still lets it. head tracks no memdb watch channels (it is not memdb's primary),
// so no watch taken on a View ever fires: live views wait on Changed.

// queued is a command on its way into the journal.
type queued struct {
	typ      cmdType
	a        applier
	body     []byte
	cmd      any // decoded from body; decoded again if it must be applied a second time
	tried    bool
	validate func(txn *memdb.Txn) error
	at       time.Time

	settled chan struct{} // closed once applied (idx) or refused (err)
	idx     uint64
	err     error
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
	q := &queued{typ: typ, a: a, body: body, cmd: cmd, validate: validate, settled: make(chan struct{})}
	s.qmu.Lock()
	s.queue = append(s.queue, q)
	lead := !s.applying
	s.applying = true
	s.qmu.Unlock()
	if lead {
		s.applyQueue(false)
	}
	<-q.settled
	if q.err != nil {
		return q.err
	}
	// Accepted: the outcome is decided by the fsync now, not by ctx.
	return s.awaitDurable(q.typ, q.idx)
}

// applyQueue applies the queued commands, batch after batch, and gives up the applier's role when
// none is left. A writer applies one batch (its own command is in it) and hands what was queued
// meanwhile to a goroutine; that goroutine (keep) applies until the queue is empty.
func (s *Store) applyQueue(keep bool) {
	for {
		s.qmu.Lock()
		batch := s.queue
		s.queue = nil
		if len(batch) == 0 {
			s.applying = false
			s.qmu.Unlock()
			return
		}
		s.qmu.Unlock()
		for rest := batch; len(rest) > 0; {
			rest = rest[s.applyBatch(rest):]
		}
		for _, q := range batch {
			close(q.settled)
		}
		if !keep {
			go s.applyQueue(true)
			return
		}
	}
}

// awaitDurable waits until the command at idx is durable, leading the fsync of its batch when no
// other writer is.
func (s *Store) awaitDurable(typ cmdType, idx uint64) error {
	for {
		end := s.syncEnded()
		if s.Index() >= idx {
			return nil
		}
		if s.broken.Load() {
			s.mu.Lock()
			err := s.failed
			s.mu.Unlock()
			return fmt.Errorf("%s at index %d: journal failed before it was durable: %w: %w", typ, idx, err, ErrClosed)
		}
		if s.syncing.CompareAndSwap(false, true) {
			s.mu.Lock()
			s.syncBatchLocked()
			s.mu.Unlock()
			continue
		}
		<-end
	}
}

// syncEnded returns a channel closed when the fsync under way (or the next) ends, well or not.
func (s *Store) syncEnded() <-chan struct{} {
	s.chMu.Lock()
	defer s.chMu.Unlock()
	return s.syncEnd
}

// leadSyncLocked makes the caller the fsync leader, waiting for a leader under way to finish.
// Callers hold s.mu; it is released while waiting.
func (s *Store) leadSyncLocked() {
	for {
		end := s.syncEnded()
		if s.syncing.CompareAndSwap(false, true) {
			return
		}
		s.mu.Unlock()
		<-end
		s.mu.Lock()
	}
}

// applyBatch applies commands from the front of batch in one transaction on head and appends
// their records to the pending batch; it returns how many it settled. Each command validates
// against all those before it, as if applied alone. A command refused by its validation or its
// apply leaves nothing behind: the transaction is dropped, the commands before it are applied
// again without it, and it is settled with its error on its own.
//
// Only the applier writes head (memdb's writer lock would serialise it anyway), so the commands
// are applied without s.mu: the fsync leader can seal and install batches meanwhile. s.mu is
// taken to read where the journal stands and to commit, where the transaction, the records and
// the written index change together, as the leader's seal expects.
func (s *Store) applyBatch(batch []*queued) int {
	s.mu.Lock()
	err, written := s.writableLocked(), s.written
	s.mu.Unlock()
	if err != nil {
		return s.refuse(batch, err)
	}
	txn := s.head.Txn(true)
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
			return 1
		}
		txn.Abort()
		return s.applyBatch(batch[:i])
	}
	s.staged = staged[:0]
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writableLocked(); err != nil {
		return s.refuse(batch, err) // closed or failed while it was being applied
	}
	txn.Commit()
	for i, q := range batch {
		q.idx = written + uint64(i) + 1
	}
	s.pending = append(s.pending, staged...)
	s.written = written + uint64(len(batch))
	n := int64(len(staged))
	s.sinceCkpt += len(batch)
	s.sinceBytes += n
	s.statsMu.Lock()
	s.stats.JournalBytes += n
	s.stats.Transactions++
	s.statsMu.Unlock()
	return len(batch)
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

// syncBatchLocked is the leader's part: write and fsync the pending batch, then make it visible.
// When a checkpoint is due it also rotates the journal at the batch's end, so that the segments
// before hold exactly what the checkpoint will cover, and starts the checkpoint once the batch is
// durable. Callers hold s.mu and have set s.syncing, which it clears; s.mu is released during the
// write and fsync.
func (s *Store) syncBatchLocked() {
	defer s.endSync()
	if s.failed != nil || s.written <= s.Index() {
		return
	}
	upto := s.written
	snap := s.head.Snapshot()
	j, batch := s.j, s.pending
	s.pending = s.spare[:0]
	rotated := false
	if s.checkpointDue() {
		if nj, err := s.newSegment(upto + 1); err != nil {
			s.log.Error("catalog checkpoint: cannot start a new journal segment", "err", err)
		} else {
			s.j, rotated = nj, true
			s.sinceCkpt, s.sinceBytes = 0, 0
		}
	}
	s.mu.Unlock()
	err := s.commitJournal(j, batch)
	if rotated {
		if cerr := j.close(); err == nil && cerr != nil {
			err = fmt.Errorf("close journal %s: %w", j.seg.path, cerr)
		}
	}
	s.mu.Lock()
	if cap(batch) <= maxSpare {
		s.spare = batch[:0]
	}
	if err != nil {
		s.failed = err
		s.broken.Store(true)
		if !rotated {
			_ = j.cut() // best effort: drop what no fsync covered
		}
		s.log.Error("catalog journal write failed: writes refused until restart", "err", err)
		return
	}
	prev := s.Index()
	s.durable.Store(snap)
	s.advance(upto)
	s.statsMu.Lock()
	s.stats.Commands += int64(upto - prev)
	s.stats.Syncs++
	s.statsMu.Unlock()
	if rotated {
		s.checkpointAsync(snap, upto)
	}
}

// endSync gives up the leader's role, then wakes the waiters: one whose record the batch did not
// hold finds no leader and leads the next.
func (s *Store) endSync() {
	s.syncing.Store(false)
	s.chMu.Lock()
	close(s.syncEnd)
	s.syncEnd = make(chan struct{})
	s.chMu.Unlock()
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
