package query

import (
	"context"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lineage"
	"github.com/cqeco/ecolake/schemas"
)

// applyTransform applies the transform field of an EntryInput to e: "" makes e an entry loaded
// from a source again; SQL is attributed by DuckDB's parser over the tables the principal may
// read whole (lineage.TransformFor), and an entry given no items gets one per output column
// (lineage.ItemsFor). A refusal is the field's problem. The catalogue checks the rest: the
// items against the outputs, the inputs, cycles, and grades the items at least as their inputs.
func (s *Service) applyTransform(ctx context.Context, r *request, c *inputCheck, m map[string]any, e *catalog.Entry) {
	sqlText, ok := m["transform"].(string)
	if !ok {
		return
	}
	if sqlText == "" {
		e.Transform = nil
		return
	}
	an, err := s.sqlAnalyzer()
	if err != nil {
		s.log.Error("open sql analyzer", "err", err)
		c.add("transform", "加工 SQL 暂时无法解析 (服务内部错误)")
		return
	}
	t, err := lineage.TransformFor(ctx, an, r.view, r.principal, r.now, sqlText)
	if err != nil {
		msg, ok := schemas.UserMessage(err)
		if !ok {
			s.log.Error("attribute transform", "user", r.principal.ID, "err", err)
			msg = "加工 SQL 暂时无法解析 (服务内部错误)"
		}
		c.add("transform", "%s", msg)
		return
	}
	e.Transform = t
	if _, given := m["items"]; !given && e.Items.Len() == 0 {
		e.Items = catalog.ItemsOf(lineage.ItemsFor(r.view, t, nil)...)
	}
}

// sqlAnalyzer returns the service's SQL analyzer, opening it on first use.
func (s *Service) sqlAnalyzer() (*lineage.Analyzer, error) {
	s.analyzerOnce.Do(func() { s.analyzer, s.analyzerErr = lineage.NewAnalyzer() })
	return s.analyzer, s.analyzerErr
}

// transformFor is e's transform SQL for the reader of r: nil when e is not derived, or when an
// input of it does not exist for the reader (the SQL names its tables).
func transformFor(r *request, e *catalog.Entry) any {
	if e.Transform == nil {
		return nil
	}
	for _, in := range e.Transform.Inputs {
		if _, ok := r.view.LineageOf(r.principal, in); !ok {
			return nil
		}
	}
	return e.Transform.SQL
}
