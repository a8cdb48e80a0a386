package lineage

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TransformFor attributes sqlText, the transform a steward p defines for a derived entry, and
// returns it as the catalogue keeps it. The SQL may read only entries whose data p may read
// whole — rows, not only aggregates, every row, no item masked — since the transform runs
// with the system's rights and writes what it computes: a name that resolves to anything else
// is unknown to the SQL, exactly as a table that does not exist. The derived entry's grade
// follows from its inputs in the catalogue (catalog.Transform).
func TransformFor(ctx context.Context, an *Analyzer, v *catalog.View, p *catalog.Principal, now time.Time, sqlText string) (*catalog.Transform, error) {
	resolve := func(name string) (Table, bool) {
		e, err := v.EntryByTable(name)
		if err != nil {
			return Table{}, false
		}
		if a := v.Decide(p, e, now); !readsWhole(a) {
			return Table{}, false
		}
		t := Table{Entry: e.ResourceCode, Name: e.Table}
		for _, it := range e.Items.All() {
			t.Columns = append(t.Columns, it.Field)
		}
		return t, true
	}
	at, err := an.Attribute(ctx, sqlText, resolve)
	if errors.Is(err, ErrRefused) {
		return nil, schemas.Userf(errors.Join(ErrInvalid, err), "加工 SQL 无法确定来源: %s", err.Error())
	}
	if err != nil {
		return nil, err
	}
	t := &catalog.Transform{SQL: strings.TrimSpace(sqlText), Inputs: at.Inputs}
	for _, c := range at.Columns {
		dc := catalog.DerivedColumn{Field: c.Name}
		for _, s := range c.Sources {
			dc.Sources = append(dc.Sources, catalog.ColumnSource{Entry: s.Entry, Field: s.Field, Via: string(s.Via)})
		}
		t.Columns = append(t.Columns, dc)
	}
	for _, s := range at.Filters {
		t.Filters = append(t.Filters, catalog.ColumnSource{Entry: s.Entry, Field: s.Field, Via: string(s.Via)})
	}
	return t, nil
}

// readsWhole reports whether a decision lets its principal read an entry's data whole.
func readsWhole(a catalog.Access) bool {
	if !a.Read || a.AggregatesOnly || a.Rows != nil {
		return false
	}
	for _, it := range a.Items {
		if !it.Visible || it.Mask != "" {
			return false
		}
	}
	return true
}

// ItemsFor proposes the items of a derived entry from its transform: one per output column,
// named and typed as the input item it copies when it copies one, else named by the column and
// typed by what the caller knows (types, from DuckDB's description of the result; STRING when
// unknown), and graded as the input items that reach it (the floors the catalogue keeps).
func ItemsFor(v *catalog.View, t *catalog.Transform, types map[string]schemas.DataType) []catalog.Item {
	out := make([]catalog.Item, 0, len(t.Columns))
	gradeOf := func(s catalog.ColumnSource) schemas.Grade {
		if e, err := v.Entry(s.Entry); err == nil {
			it, _ := e.Item(s.Field)
			return schemas.MaxGrade(it.Grade, e.GradeOverride)
		}
		return ""
	}
	var filters schemas.Grade
	for _, s := range t.Filters {
		filters = schemas.MaxGrade(filters, gradeOf(s))
	}
	for _, c := range t.Columns {
		it := catalog.Item{Name: c.Field, Field: c.Field, Type: schemas.String, Grade: schemas.MaxGrade(schemas.General1, filters)}
		for _, s := range c.Sources {
			it.Grade = schemas.MaxGrade(it.Grade, gradeOf(s))
		}
		if typ, ok := types[c.Field]; ok {
			it.Type = typ
		}
		if len(c.Sources) == 1 && c.Sources[0].Via == catalog.ViaDirect {
			if e, err := v.Entry(c.Sources[0].Entry); err == nil {
				if src, ok := e.Item(c.Sources[0].Field); ok {
					it.Name, it.Description, it.PIType, it.CodeList = src.Name, src.Description, src.PIType, src.CodeList
					if _, known := types[c.Field]; !known {
						it.Type = src.Type
					}
				}
			}
		}
		out = append(out, it)
	}
	return out
}
