package ingest

import (
	"context"
	"fmt"
	"log/slog"

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
