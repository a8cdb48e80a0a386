package catalog

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/cqeco/ecolake/schemas"
)

// A full disk (ENOSPC, or EDQUOT under a quota) is a fault the operator can mend while the
// service runs, unlike a failing disk. When the journal refuses a batch for want of space, the
// store does not give up: it cuts the segment back to the last record an fsync covered and makes
// the cut durable, fails every command not yet durable (the batch and those applied after it,
// which were validated against it), rolls head back to the durable state, and takes writes again.
// Readers never saw the refused commands (they read the durable state), so nothing they saw
// changes, and after a restart the journal holds exactly the commands that were acknowledged.
// Only when the cut itself fails is the store left refusing writes until restart.
//
// A checkpoint that cannot be written (for want of space or otherwise) leaves the old one in
// place (installCheckpoint renames only a complete, fsynced file); the journal it was to compact
// is counted again and the next attempt waits ckptRetryDelay.

// ErrDiskFull is what a command refused for want of space on the data directory fails with. It
// is a kind of schemas.ErrBusy: the same command succeeds once space is freed.
var ErrDiskFull error = &schemas.UserError{
	Msg: "数据目录磁盘空间不足，本次更改未保存；请管理员释放磁盘空间后重试",
	Err: schemas.ErrBusy,
}

// ckptRetryDelay is how long after a failed checkpoint the next one may start.
const ckptRetryDelay = 30 * time.Second

// ckptCarry is the journal since the last checkpoint that the checkpoint started at idx is to
// compact (n commands, bytes), given back to the count if that checkpoint is not installed.
type ckptCarry struct {
	idx     uint64 // index the running (or last) checkpoint covers; 0 once settled
	n       int
	bytes   int64
	retryAt time.Time // no checkpoint starts before
}

// isNoSpace reports whether err says the file system has no room left for the caller.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// rollBackLocked undoes a batch the journal refused for want of space (cause): j, the segment it
// was written to, is cut back to its last fsynced record; if the batch was to end with a
// rotation, the new, empty segment is removed and j stays the journal. The sealed commands and
// every command applied after them fail with ErrDiskFull; head and the written index return to
// the durable state. It returns the commands applied after the batch (their done channels are
// for the caller to close with the sealed ones) and false, changing nothing else, when the
// journal could not be put back: the caller then fails the store. Callers hold s.mu and the sync
// role.
func (s *Store) rollBackLocked(j *journal, rotated bool, sealed []*queued, cause error) ([]*queued, bool) {
	if err := j.cut(); err != nil {
		s.log.Error("catalog journal: cannot cut back a refused batch", "err", err, "cause", cause)
		return nil, false
	}
	if rotated {
		nj := s.j
		err := errors.Join(nj.close(), os.Remove(nj.seg.path), syncDir(s.cfg.Dir))
		if err != nil {
			s.log.Error("catalog journal: cannot remove the segment started for a refused batch", "err", err, "cause", cause)
			return nil, false
		}
		s.j = j
		s.sinceCkpt += s.ckptCarry.n
		s.sinceBytes += s.ckptCarry.bytes
		s.ckptCarry = ckptCarry{retryAt: s.ckptCarry.retryAt}
	}
	later := s.waiting
	s.waiting = nil
	s.pending = s.pending[:0]
	for _, q := range sealed {
		q.err = fmt.Errorf("%s at index %d: %w: %w", q.typ, q.idx, ErrDiskFull, cause)
	}
	for _, q := range later {
		q.err = fmt.Errorf("%s at index %d: refused with the batch before it: %w: %w", q.typ, q.idx, ErrDiskFull, cause)
	}
	s.head = s.durable.Load().Snapshot()
	s.written = s.Index()
	s.headGen++
	s.log.Error("catalog journal: no space on the data directory, commands refused; writes are taken again as soon as space is freed",
		"err", cause, "refused", len(sealed)+len(later), "index", s.written)
	return later, true
}

// checkpointNowLocked reports whether the batch being sealed should end with a checkpoint:
// checkpointDue, unless the last checkpoint failed less than ckptRetryDelay ago. Callers hold
// s.mu.
func (s *Store) checkpointNowLocked() bool {
	s.settleCheckpointLocked()
	if s.cfg.Clock().Before(s.ckptCarry.retryAt) {
		return false
	}
	return s.checkpointDue()
}

// settleCheckpointLocked looks at the checkpoint last started, once it has ended: if it was not
// installed, the journal it was to compact is counted again and the next attempt waits. Callers
// hold s.mu.
func (s *Store) settleCheckpointLocked() {
	c := &s.ckptCarry
	if c.idx == 0 || s.ckptDone != nil {
		return
	}
	if s.ckptIndex < c.idx {
		s.sinceCkpt += c.n
		s.sinceBytes += c.bytes
		c.retryAt = s.cfg.Clock().Add(ckptRetryDelay)
	}
	c.idx, c.n, c.bytes = 0, 0, 0
}
