package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// KindPull is the Run.Kind of pulls through an entry's connection.
const KindPull = catalog.RunKindPull

// Pull loads the records of entry's connection that are newer than its watermark, as one run:
// validated as a submitted file is, rejected rows kept with their reasons, one atomic snapshot.
// The watermark the records end at is committed with the snapshot, so a pull that fails or is
// interrupted leaves it where it was and the next pull reads the same records again. A pull that
// finds nothing new is recorded UNCHANGED; so is one whose records are exactly those of a load
// before (the same SHA-256 of the records).
//
// p triggers the pull (the scheduler passes catalog.Operator()); the access decision must let it
// configure the entry and load it.
func (s *Service) Pull(ctx context.Context, p *catalog.Principal, entry string) (*Result, error) {
	if err := s.cfg.Validate(); err != nil {
		return nil, err
	}
	e, a, err := s.authorize(p, entry)
	if err != nil {
		return nil, err
	}
	if !a.Configure {
		return nil, schemas.Userf(ErrLoadForbidden, "无权触发目录 %s（%s）的归集：只有系统管理员与本处室的数据管理员可以", e.ResourceCode, e.Name)
	}
	conn, err := s.cat.View().ConnectionFor(p, e.ResourceCode)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", e.ResourceCode, schemas.Userf(err, "目录 %s（%s）没有配置归集连接", e.ResourceCode, e.Name))
	}
	sub := Submission{Entry: e.ResourceCode, Filename: conn.Kind, Principal: p}
	src, srcErr := OpenSource(conn.Kind, conn.Config)
	if srcErr == nil {
		sub.Filename = src.Describe()
		if l, ok := src.(interface{ WithLogger(*slog.Logger) Source }); ok {
			src = l.WithLogger(s.log.With("dataset", e.Table)) // its retries, say
		}
	}
	open := func(ctx context.Context) (Stream, error) {
		if srcErr != nil {
			// A configuration its connector no longer accepts fails the run, where the steward
			// sees it, rather than the pull silently never starting.
			return nil, srcErr
		}
		// Read under the entry's turn: no other load of the entry moves the watermark meanwhile.
		c, err := s.cat.View().ConnectionFor(p, e.ResourceCode)
		if err != nil {
			return nil, fmt.Errorf("pull %s: %w", e.ResourceCode, err)
		}
		st, err := src.Read(ctx, c.Watermark)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", src.Describe(), err)
		}
		return st, nil
	}
	return s.submit(ctx, sub, KindPull, open)
}

// peekStream opens a pull's stream and reads its header and first record: empty when there is
// none, that is, nothing newer than the watermark. The returned stream gives what was read
// again. An error is the source's, for the run to record.
func peekStream(ctx context.Context, open func(ctx context.Context) (Stream, error)) (Stream, bool, error) {
	st, err := open(ctx)
	if err != nil {
		return nil, false, err
	}
	p := &peeked{Stream: st}
	for range 2 { // the header, then the first record
		rec, line, err := st.Next()
		if errors.Is(err, io.EOF) {
			return p, len(p.queue) <= 1, nil
		}
		var re *RecordError
		if err != nil && !errors.As(err, &re) {
			_ = st.Close()
			return nil, false, err
		}
		p.queue = append(p.queue, buffered{rec: slices.Clone(rec), line: line, err: err})
		if err != nil { // a record that could not be read is still a record
			break
		}
	}
	return p, false, nil
}

// peeked is a stream whose first records were read ahead.
type peeked struct {
	Stream
	queue []buffered
}

func (p *peeked) Next() ([]string, int, error) {
	if len(p.queue) > 0 {
		b := p.queue[0]
		p.queue = p.queue[1:]
		return b.rec, b.line, b.err
	}
	return p.Stream.Next()
}

// nothingNew ends a pull that found no record newer than the connection's watermark: the
// connection notes the attempt, no run is recorded, and the result says so.
func (s *Service) nothingNew(ctx context.Context, entry *catalog.Entry, run catalog.Run, watermark string) (*Result, error) {
	if err := s.cat.NotePull(ctx, entry.ResourceCode, run.StartedAt); err != nil {
		return nil, fmt.Errorf("note pull of %s: %w", entry.ResourceCode, err)
	}
	run.ID = ""
	run.Status, run.Error, run.Watermark = catalog.RunUnchanged, ReasonNoNewRecords, watermark
	run.FinishedAt = s.now()
	return &Result{Run: run, entryName: entry.Name, Unchanged: true, Encoding: EncodingUTF8}, nil
}
