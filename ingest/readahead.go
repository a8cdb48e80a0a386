package ingest

import (
	"errors"
)

// readAheadRecords is how many records one chunk of read-ahead carries, and readAheadDepth
// how many decoded chunks may wait for validation.
const (
	readAheadRecords = 1024
	readAheadDepth   = 4
)

// readAhead decodes records on a goroutine of its own, a chunk at a time, so that CSV parsing
// and text decoding overlap with validation. It is itself a Decoder and returns exactly the
// records, lines and errors of the one it wraps, in the same order. stop must be called before
// the submission's body is given back.
type readAhead struct {
	encoding string
	ch       chan *recChunk
	free     chan *recChunk
	quit     chan struct{}
	done     chan struct{}
	stopped  bool

	cur *recChunk
	pos int
}

// recChunk is a run of consecutive records; err, when set, follows them and ends the file.
type recChunk struct {
	cells []string
	recs  []chunkRec
	err   error
}

type chunkRec struct {
	start, end int // cells[start:end]
	line       int
	err        error // a *RecordError
}

func startReadAhead(dec Decoder) *readAhead {
	r := &readAhead{
		encoding: dec.Encoding(),
		ch:       make(chan *recChunk, readAheadDepth),
		free:     make(chan *recChunk, readAheadDepth+2),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go r.run(dec)
	return r
}

func (r *readAhead) run(dec Decoder) {
	defer close(r.done)
	for {
		var c *recChunk
		select {
		case c = <-r.free:
			c.cells, c.recs, c.err = c.cells[:0], c.recs[:0], nil
		default:
			c = &recChunk{}
		}
		for len(c.recs) < readAheadRecords {
			if len(c.recs)%64 == 0 {
				select {
				case <-r.quit:
					return
				default:
				}
			}
			rec, line, err := dec.Next()
			if err != nil {
				var re *RecordError
				if !errors.As(err, &re) {
					c.err = err
					break
				}
				c.recs = append(c.recs, chunkRec{start: len(c.cells), end: len(c.cells), line: line, err: err})
				continue
			}
			start := len(c.cells)
			c.cells = append(c.cells, rec...)
			c.recs = append(c.recs, chunkRec{start: start, end: len(c.cells), line: line})
		}
		select {
		case r.ch <- c:
		case <-r.quit:
			return
		}
		if c.err != nil {
			return
		}
	}
}

func (r *readAhead) Encoding() string { return r.encoding }

// Next returns the next record; the slice is valid until the following call.
func (r *readAhead) Next() ([]string, int, error) {
	for {
		if c := r.cur; c != nil {
			if r.pos < len(c.recs) {
				rec := c.recs[r.pos]
				r.pos++
				if rec.err != nil {
					return nil, rec.line, rec.err
				}
				return c.cells[rec.start:rec.end:rec.end], rec.line, nil
			}
			if c.err != nil {
				return nil, 0, c.err
			}
			select {
			case r.free <- c:
			default:
			}
			r.cur = nil
		}
		r.cur, r.pos = <-r.ch, 0
	}
}

// stop ends the read-ahead and waits until it no longer touches the input. It may be called
// more than once; Next must not be called after it.
func (r *readAhead) stop() {
	if !r.stopped {
		r.stopped = true
		close(r.quit)
	}
	<-r.done
}
