package ingest

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cqeco/ecolake/catalog"
)

// Progress is how far a running load is, for a progress bar.
type Progress struct {
	Run          string
	RowsRead     int64
	RowsAccepted int64
	RowsRejected int64
	BytesRead    int64
	TotalBytes   int64 // the file's size; 0 when unknown
	Elapsed      time.Duration
}

// Percent is the share of the file read, when its size is known.
func (p Progress) Percent() (float64, bool) {
	if p.TotalBytes <= 0 {
		return 0, false
	}
	return min(100, 100*float64(p.BytesRead)/float64(p.TotalBytes)), true
}

// RowsPerSecond is the rows read per second so far.
func (p Progress) RowsPerSecond() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.RowsRead) / p.Elapsed.Seconds()
}

// progressEvery is how often a load reports its progress.
const progressEvery = 500 * time.Millisecond

// progressBoard holds the progress of the loads running in the service, by run.
type progressBoard struct {
	mu   sync.Mutex
	runs map[string]Progress
}

func (b *progressBoard) set(p Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.runs[p.Run] = p
}

func (b *progressBoard) done(run string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.runs, run)
}

// Progress returns the progress of a load running in this service; false once it has ended
// (its run then holds the counts). The caller decides who may see it (the run's visibility).
func (s *Service) Progress(run string) (Progress, bool) {
	s.board.mu.Lock()
	defer s.board.mu.Unlock()
	p, ok := s.board.runs[run]
	return p, ok
}

// countingReader counts the bytes read through it; the count is read from another goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// progressTicker publishes a load's progress every progressEvery from a goroutine of its own,
// so that a load waiting for its upload still reports; the row loop hands it its counts.
type progressTicker struct {
	s     *Service
	sub   Submission
	run   string
	body  *countingReader
	start time.Time

	read, accepted, rejected atomic.Int64

	mu   sync.Mutex // one report at a time
	stop chan struct{}
	done chan struct{}
}

func startProgress(s *Service, sub Submission, run string, body *countingReader) *progressTicker {
	t := &progressTicker{s: s, sub: sub, run: run, body: body, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	t.report()
	go func() {
		defer close(t.done)
		tk := time.NewTicker(progressEvery)
		defer tk.Stop()
		for {
			select {
			case <-t.stop:
				return
			case <-tk.C:
				t.report()
			}
		}
	}()
	return t
}

// count hands the ticker the run's counts.
func (t *progressTicker) count(r *catalog.Run) {
	t.read.Store(r.RowsRead)
	t.accepted.Store(r.RowsAccepted)
	t.rejected.Store(r.RowsRejected)
}

func (t *progressTicker) report() {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := Progress{Run: t.run, RowsRead: t.read.Load(), RowsAccepted: t.accepted.Load(), RowsRejected: t.rejected.Load(),
		BytesRead: t.body.n.Load(), TotalBytes: max(t.sub.Size, 0), Elapsed: time.Since(t.start)}
	t.s.board.set(p)
	if t.sub.Progress != nil {
		t.sub.Progress(p)
	}
}

// end stops the ticker after a last report of the counts r holds.
func (t *progressTicker) end(r *catalog.Run) {
	close(t.stop)
	<-t.done
	t.count(r)
	t.report()
}
