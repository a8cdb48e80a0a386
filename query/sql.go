package query

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/cqeco/ecolake/schemas"
)

// Statement is a SQL text with its bound arguments. The text holds only identifiers that passed
// schemas.CheckIdent and fixed keywords; every value, including the file list, is an argument.
type Statement struct {
	SQL  string
	Args []any
}

// srcAlias names the derived table the outer query reads from.
const srcAlias = "src"

// Files is what a statement reads: a snapshot's Parquet files as local paths, the columns they
// hold (from its manifest; nil means every column of the plan), and whether they share one
// schema (one file, or lake.SameSchema), so that DuckDB reads them by position; otherwise it
// matches their columns by name, which costs each query more.
type Files struct {
	Paths   []string
	Present map[string]bool
	Uniform bool
	// Native, when set, is the table of the snapshot's native copy (native.go), read instead of
	// its files: it holds every stored column, cast already, and takes no file argument.
	Native string
}

// sourceColumns are the columns of the plan's source the statement reads: those the plan
// references, in the source's order, or the first alone when it references none (a count), so
// that DuckDB binds and casts only what the answer needs.
func sourceColumns(p *Plan) []Column {
	used := map[string]bool{}
	for _, c := range p.referenced() {
		used[c.Field] = true
	}
	var out []Column
	for _, c := range p.Source {
		if used[c.Field] {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		out = p.Source[:1]
	}
	return out
}

// BuildSQL turns a plan into a statement over the given Parquet files. A column of the entry
// missing from the files reads as NULL of its type, so that an item added later does not break
// older snapshots.
func BuildSQL(p *Plan, in Files) (Statement, error) {
	files := in.Paths
	if err := checkPaths(files); err != nil {
		return Statement{}, err
	}
	if len(p.Source) == 0 {
		return Statement{}, fmt.Errorf("plan for %s has no columns: %w", p.Table, ErrInvalid)
	}
	b := &sqlBuilder{}
	if in.Native == "" {
		b.args = []any{files}
	}
	var sb strings.Builder
	sb.WriteString("SELECT ")
	if p.Aggregate {
		b.aggSelect(&sb, p)
	} else {
		if len(p.Columns) == 0 {
			return Statement{}, fmt.Errorf("plan for %s selects nothing: %w", p.Table, ErrInvalid)
		}
		proj, err := projection(p)
		if err != nil {
			return Statement{}, err
		}
		sb.WriteString(proj)
	}
	sb.WriteString("\nFROM (")
	writeSource(&sb, sourceColumns(p), in)
	sb.WriteString(") AS " + schemas.QuoteIdent(srcAlias))
	if p.Where != nil {
		w, err := b.cond(p.Where)
		if err != nil {
			return Statement{}, err
		}
		sb.WriteString("\nWHERE " + w)
	}
	if p.Aggregate {
		if len(p.GroupBy) > 0 {
			sb.WriteString("\nGROUP BY " + joinCols(p.GroupBy))
		}
		if p.MinGroup > 0 {
			sb.WriteString("\nHAVING count(*) >= ?")
			b.args = append(b.args, int64(p.MinGroup))
		}
		if len(p.GroupBy) > 0 {
			sb.WriteString("\nORDER BY " + ascending(p.GroupBy))
		}
		sb.WriteString("\nLIMIT ?")
		b.args = append(b.args, int64(p.Limit))
		return Statement{SQL: sb.String(), Args: b.args}, nil
	}
	if len(p.OrderBy) > 0 {
		sb.WriteString("\nORDER BY ")
		for i, o := range p.OrderBy {
			if i > 0 {
				sb.WriteString(", ")
			}
			dir := "ASC"
			if o.Desc {
				dir = "DESC"
			}
			sb.WriteString(schemas.QuoteIdent(o.Column.Field) + " " + dir + " NULLS LAST")
		}
	}
	sb.WriteString("\nLIMIT ? OFFSET ?")
	b.args = append(b.args, int64(p.Limit), int64(p.Offset))
	return Statement{SQL: sb.String(), Args: b.args}, nil
}

// writeSource writes the select of cols from what in reads, each cast to its item's type: the
// snapshot's files (a column they lack reads as NULL), bound as the first argument, or its native
// copy.
func writeSource(sb *strings.Builder, cols []Column, in Files) {
	sb.WriteString("SELECT ")
	for i, c := range cols {
		if i > 0 {
			sb.WriteString(", ")
		}
		src := schemas.QuoteIdent(c.Field)
		if in.Native == "" && in.Present != nil && !in.Present[c.Field] {
			src = "NULL"
		}
		fmt.Fprintf(sb, "CAST(%s AS %s) AS %s", src, c.Type.DuckDBType(), schemas.QuoteIdent(c.Field))
	}
	switch {
	case in.Native != "":
		sb.WriteString(" FROM " + nativeDB + "." + schemas.QuoteIdent(in.Native))
	case in.Uniform:
		// Partitioned tables' files sit under Hive-style paths (district_code=500103/…); their
		// columns are in the files, so DuckDB must not add columns of its own from the paths.
		sb.WriteString(" FROM read_parquet(?, hive_partitioning = false)")
	default:
		sb.WriteString(" FROM read_parquet(?, union_by_name = true, hive_partitioning = false)")
	}
}

// ascending is the order by cols, each ascending with nulls last.
func ascending(cols []Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = schemas.QuoteIdent(c.Field) + " ASC NULLS LAST"
	}
	return strings.Join(parts, ", ")
}

type sqlBuilder struct{ args []any }

func (b *sqlBuilder) aggSelect(sb *strings.Builder, p *Plan) {
	var parts []string
	for _, c := range p.GroupBy {
		parts = append(parts, schemas.QuoteIdent(c.Field))
	}
	parts = append(parts, "count(*)")
	for _, a := range p.Aggs {
		col := schemas.QuoteIdent(a.Column.Field)
		switch a.Func {
		case AggSum, AggAvg:
			parts = append(parts, fmt.Sprintf("CAST(%s(%s) AS DOUBLE)", a.Func, col))
		default:
			parts = append(parts, fmt.Sprintf("%s(%s)", a.Func, col))
		}
	}
	sb.WriteString(strings.Join(parts, ", "))
}

func (b *sqlBuilder) cond(c *Cond) (string, error) {
	if c.Not {
		inner, err := b.cond(&Cond{And: c.And})
		if err != nil {
			return "", err
		}
		return "(NOT " + inner + ")", nil
	}
	switch {
	case c.And != nil || c.Or != nil:
		var parts []string
		for _, sub := range c.And {
			s, err := b.cond(sub)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		and := "TRUE"
		if len(parts) > 0 {
			and = strings.Join(parts, " AND ")
		}
		if c.Or == nil {
			return "(" + and + ")", nil
		}
		var ors []string
		for _, sub := range c.Or {
			s, err := b.cond(sub)
			if err != nil {
				return "", err
			}
			ors = append(ors, s)
		}
		or := "FALSE"
		if len(ors) > 0 {
			or = strings.Join(ors, " OR ")
		}
		if len(parts) == 0 {
			return "(" + or + ")", nil
		}
		return "(" + and + " AND (" + or + "))", nil
	}
	col := schemas.QuoteIdent(c.Column.Field)
	switch c.Op {
	case OpIsNull:
		if c.IsNull {
			return col + " IS NULL", nil
		}
		return col + " IS NOT NULL", nil
	case OpIn:
		if len(c.Values) == 0 {
			return "FALSE", nil
		}
		ph := make([]string, len(c.Values))
		for i, v := range c.Values {
			p, err := b.param(c.Column, v)
			if err != nil {
				return "", err
			}
			ph[i] = p
		}
		return col + " IN (" + strings.Join(ph, ", ") + ")", nil
	}
	if c.Op == OpLike {
		if c.Column.Type != schemas.String {
			return "", fmt.Errorf("filter on %s: like needs text, not %s: %w", c.Column.Field, c.Column.Type, ErrInvalid)
		}
		p, err := b.param(c.Column, c.Value)
		if err != nil {
			return "", err
		}
		return col + " LIKE " + p + ` ESCAPE '\'`, nil
	}
	op, ok := sqlOps[c.Op]
	if !ok {
		return "", fmt.Errorf("filter on %s: unknown comparison %q: %w", c.Column.Field, c.Op, ErrInvalid)
	}
	if c.Op != OpEq && c.Op != OpNe && !c.Column.Type.Ordered() {
		return "", fmt.Errorf("filter on %s: %s needs an ordered type, not %s: %w", c.Column.Field, c.Op, c.Column.Type, ErrInvalid)
	}
	p, err := b.param(c.Column, c.Value)
	if err != nil {
		return "", err
	}
	return col + " " + op + " " + p, nil
}

// param binds v as the next argument, cast to the column's type so that the comparison happens
// in the column's type whatever Go type the driver binds.
func (b *sqlBuilder) param(c Column, v any) (string, error) {
	bv, err := bindValue(c, v)
	if err != nil {
		return "", err
	}
	b.args = append(b.args, bv)
	return "CAST(? AS " + c.Type.DuckDBType() + ")", nil
}

// bindValue checks v against the column type. Dates and timestamps are bound as ISO text: the
// driver would bind a time.Time as an instant, and DuckDB would shift it by the session zone.
func bindValue(c Column, v any) (any, error) {
	bad := func() error {
		return fmt.Errorf("filter on %s: value %v (%T) does not fit type %s: %w", c.Field, v, v, c.Type, ErrInvalid)
	}
	switch c.Type {
	case schemas.String:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case schemas.Int:
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case schemas.Float:
		switch n := v.(type) {
		case float64:
			return n, nil
		case int64:
			return float64(n), nil
		}
	case schemas.Bool:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case schemas.Date:
		if t, ok := v.(time.Time); ok {
			return t.Format(time.DateOnly), nil
		}
	case schemas.Timestamp:
		if t, ok := v.(time.Time); ok {
			return t.Format("2006-01-02 15:04:05.999999"), nil
		}
	}
	return nil, bad()
}

// projection is the select list of a rows plan, masked columns as their masking expressions.
func projection(p *Plan) (string, error) {
	q := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		if m := p.Masks[c.Field]; m != "" {
			expr, err := maskedColumn(c, m)
			if err != nil {
				return "", err
			}
			q[i] = expr
			continue
		}
		q[i] = schemas.QuoteIdent(c.Field)
	}
	return strings.Join(q, ", "), nil
}

func joinCols(cs []Column) string {
	q := make([]string, len(cs))
	for i, c := range cs {
		q[i] = schemas.QuoteIdent(c.Field)
	}
	return strings.Join(q, ", ")
}

// checkPaths validates the local file paths handed to read_parquet. They come from the lake
// cache, not from users, but a path with glob characters would make DuckDB read other files.
func checkPaths(files []string) error {
	for _, f := range files {
		switch {
		case f == "" || !filepath.IsAbs(f) || filepath.Clean(f) != f:
			return fmt.Errorf("data file path %q is not a clean absolute path: %w", f, ErrInvalid)
		case strings.ContainsAny(f, "*?[]{}\x00\n\r'\""):
			return fmt.Errorf("data file path %q holds glob or quote characters: %w", f, ErrInvalid)
		}
	}
	return nil
}
