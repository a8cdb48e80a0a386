package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/catalog/report"
	"github.com/cqeco/ecolake/schemas"
)

// The management figures' monthly workbook (catalog/report), over the entries that exist for
// the caller; the same builder writes it for `ecolake figures --xlsx`.

// figuresWorkbookName is the file name the workbook is downloaded under.
const figuresWorkbookName = "管理指标月度报表.xlsx"

func (s *Server) figureRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/figures.xlsx", s.handleFiguresWorkbook)
}

// handleFiguresWorkbook answers the caller's figures as the monthly workbook. It is built
// before a byte is sent, so that a failure is an error answer; the door is recorded in the
// audit with the rows it hands out, and withheld when it cannot be.
func (s *Server) handleFiguresWorkbook(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	if !s.Exports.enter(p.ID) {
		WriteError(w, s.Log, schemas.Userf(schemas.ErrBusy, "报表正在生成（每个账号同时一份、全局同时 %d 份），请稍后重试", s.Exports.total))
		return
	}
	defer s.Exports.leave(p.ID)
	start := time.Now()
	wb, err := s.figuresWorkbook(r.Context(), p, start)
	rows := 0
	if wb != nil {
		defer wb.Close()
		rows = wb.Rows()
	}
	if rerr := s.Query.RecordDoor(r.Context(), p, "figures.xlsx", start, rows, err); rerr != nil {
		WriteError(w, s.Log, rerr)
		return
	}
	if err != nil {
		WriteError(w, s.Log, err)
		return
	}
	w.Header().Set("Content-Type", ContentTypeXLSX)
	w.Header().Set("Content-Disposition", `attachment; filename="figures.xlsx"; filename*=UTF-8''`+url.PathEscape(figuresWorkbookName))
	if _, err := wb.WriteTo(w); err != nil && s.Log != nil {
		// The header is out: the client sees a cut file; the log says why.
		s.Log.Warn("figures workbook cut short", "user", p.ID, "err", err)
	}
}

// figuresWorkbook builds p's workbook at now, with the scenes in use from the service's audit.
func (s *Server) figuresWorkbook(ctx context.Context, p *catalog.Principal, now time.Time) (*report.Workbook, error) {
	use, err := s.Query.ScenesUsed(now)
	if err != nil {
		return nil, fmt.Errorf("figures workbook: read scene use: %w", err)
	}
	return report.Build(ctx, s.Cat.View(), report.Report{Principal: p, Now: now, Targets: s.Query.FigureTargets(),
		Used: use.Last, UsageIncomplete: use.Incomplete})
}
