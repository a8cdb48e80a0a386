package api

import "sync"

// Uploads bounds the submissions in progress at once, in all and per principal. Each one may
// spool up to maxSubmissionBytes to temporary disk before ingest sees a row, so without a bound
// one account sending uploads in parallel could fill the disk. A submission over the bound is
// refused at once rather than queued: its body is already on its way and a queue would hold the
// connection and the socket buffers just the same.
type Uploads struct {
	total, per int

	mu sync.Mutex
	n  int
	by map[string]int // principal ID → submissions in progress; absent when none
}

// NewUploads admits at most total submissions at once and per of one principal; a bound below
// one is taken as one.
func NewUploads(total, per int) *Uploads {
	return &Uploads{total: max(total, 1), per: max(per, 1), by: map[string]int{}}
}

// enter reserves a place for one submission of principal id; false when a bound is reached.
// A true answer must be followed by leave.
func (u *Uploads) enter(id string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n >= u.total || u.by[id] >= u.per {
		return false
	}
	u.n++
	u.by[id]++
	return true
}

func (u *Uploads) leave(id string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.n--
	if u.by[id]--; u.by[id] <= 0 {
		delete(u.by, id)
	}
}
