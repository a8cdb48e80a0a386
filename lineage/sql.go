// Attribution of a derived entry's SQL transform to the entries and item fields it reads, using
// DuckDB's own parser (json_serialize_sql) rather than a parser of ours, so that what is attributed
// is what DuckDB would run.

package lineage

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver
)

// Table is what a name in the SQL resolves to: a directory entry's table.
type Table struct {
	Entry   string   // resource code of the entry, e.g. "0101/000001"
	Name    string   // the table name as the catalogue knows it, e.g. "air_station_hourly"
	Columns []string // its item fields, in order
}

// Resolver finds a table by the (lower-cased, unqualified) name the SQL uses; false when unknown.
type Resolver func(name string) (Table, bool)

// Via says how an input column reaches an output column.
type Via string

// The ways an input column reaches an output. When they nest (a column inside sum() inside a
// WHERE, or a subquery's aggregate read by an outer window), the outermost one that is not
// ViaDirect wins: it is the last thing done to the value.
const (
	ViaDirect    Via = "direct"    // copied or computed row by row (expressions, CASE, casts)
	ViaAggregate Via = "aggregate" // inside an aggregate function (sum, avg, count, min, max, …)
	ViaWindow    Via = "window"    // inside a window function or its PARTITION BY / ORDER BY
	ViaFilter    Via = "filter"    // decides which rows reach the output: WHERE, HAVING, JOIN ON, QUALIFY
	ViaGroup     Via = "group"     // a GROUP BY key
)

// ColumnRef is one item field of one entry, and how it reaches an output.
type ColumnRef struct {
	Entry, Field string
	Via          Via
}

// OutputColumn is one column the SQL produces and the input columns its values come from.
type OutputColumn struct {
	Name    string
	Sources []ColumnRef // sorted, no duplicates
}

// Attribution is what one SELECT reads and how.
type Attribution struct {
	Inputs  []string       // entry codes read, sorted, unique
	Columns []OutputColumn // one per output column, in SELECT order
	Filters []ColumnRef    // columns that decide which rows appear (Via filter/group), for every output
}

// Bounds on a request, so that no SQL can make an attribution take long.
const (
	MaxSQLBytes  = 64 << 10 // longest SQL text accepted
	maxJSONDepth = 256      // deepest nesting of DuckDB's parse tree walked (about 120 expression levels)
)

// ErrRefused is wrapped by every error Attribute returns for SQL it will not attribute. The error's
// text (and UserMessage) is the reason, in Simplified Chinese, for the SQL's author.
var ErrRefused = errors.New("lineage: sql not attributable")

type sqlRefusal struct{ msg string }

func (e *sqlRefusal) Error() string       { return e.msg }
func (e *sqlRefusal) Unwrap() error       { return ErrRefused }
func (e *sqlRefusal) UserMessage() string { return e.msg }

// refuseSQL builds a refusal; string arguments are names taken from the SQL, clipped so that a
// message never echoes submitted text unbounded.
func refuseSQL(format string, args ...any) error {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = clipText(s, 80)
		}
	}
	return &sqlRefusal{msg: clipText(fmt.Sprintf(format, args...), 1000)}
}

func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// Analyzer attributes SQL through an in-memory DuckDB that only ever parses: no SQL it is given is
// run. It is safe for concurrent use.
type Analyzer struct {
	db         *sql.DB
	aggregates map[string]bool // lower-case names of DuckDB's aggregate functions and aggregate macros
}

// NewAnalyzer opens the in-memory DuckDB and learns from its function catalogue which names are
// aggregates, since the parse tree does not tell sum() from upper().
func NewAnalyzer() (*Analyzer, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("lineage: open duckdb: %w", err)
	}
	a := &Analyzer{db: db}
	if a.aggregates, err = loadAggregates(context.Background(), db); err != nil {
		db.Close()
		return nil, fmt.Errorf("lineage: list aggregate functions: %w", err)
	}
	return a, nil
}

// Close releases the DuckDB database.
func (a *Analyzer) Close() error { return a.db.Close() }

// loadAggregates returns DuckDB's aggregate functions plus the macros whose body calls one outside
// a subquery (geomean, weighted_avg, json_group_array, …), found by parsing each body with DuckDB.
func loadAggregates(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT lower(function_name), function_type = 'aggregate',
		CASE function_type WHEN 'macro' THEN CAST(json_serialize_sql('SELECT ' || macro_definition) AS VARCHAR) END
		FROM duckdb_functions() WHERE function_type = 'aggregate' OR macro_definition IS NOT NULL AND function_type = 'macro'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	aggs, macros := map[string]bool{}, map[string][]any{}
	for rows.Next() {
		var name string
		var isAgg bool
		var body sql.NullString
		if err := rows.Scan(&name, &isAgg, &body); err != nil {
			return nil, err
		}
		aggs[name] = aggs[name] || isAgg
		var tree any
		if body.Valid && json.Unmarshal([]byte(body.String), &tree) == nil {
			macros[name] = append(macros[name], tree)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for changed := true; changed; { // a macro may call an aggregate macro (wavg → weighted_avg)
		changed = false
		for name, trees := range macros {
			if !aggs[name] && slices.ContainsFunc(trees, func(t any) bool { return callsAggregate(t, aggs) }) {
				aggs[name], changed = true, true
			}
		}
	}
	return aggs, nil
}

func callsAggregate(v any, aggs map[string]bool) bool {
	switch v := v.(type) {
	case map[string]any:
		if v["class"] == "SUBQUERY" {
			return false
		}
		if name, ok := v["function_name"].(string); ok && v["class"] == "FUNCTION" && aggs[strings.ToLower(name)] {
			return true
		}
		for _, x := range v {
			if callsAggregate(x, aggs) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(v, func(x any) bool { return callsAggregate(x, aggs) })
	}
	return false
}

// Attribute parses sqlText with DuckDB and attributes each output column, and the choice of rows,
// to the input columns of the tables resolve names. It refuses (ErrRefused) whatever it cannot
// attribute exactly; other errors are failures of the parser itself or of ctx.
func (a *Analyzer) Attribute(ctx context.Context, sqlText string, resolve Resolver) (*Attribution, error) {
	if resolve == nil {
		return nil, errors.New("lineage: Attribute needs a Resolver")
	}
	if len(sqlText) > MaxSQLBytes {
		return nil, refuseSQL("SQL 过长: %d 字节, 上限 %d 字节", len(sqlText), MaxSQLBytes)
	}
	if strings.TrimSpace(sqlText) == "" {
		return nil, refuseSQL("SQL 为空")
	}
	var text string
	err := a.db.QueryRowContext(ctx, `SELECT CAST(json_serialize_sql(CAST(? AS VARCHAR)) AS VARCHAR)`, sqlText).Scan(&text)
	if err != nil {
		return nil, fmt.Errorf("lineage: parse sql: %w", err)
	}
	if depth := jsonDepth(text); depth > maxJSONDepth {
		return nil, refuseSQL("SQL 嵌套过深: 解析树深 %d 层, 上限 %d 层", depth, maxJSONDepth)
	}
	var root jsonObj
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("lineage: read parse tree: %w", err)
	}
	if root["error"] == true {
		return nil, parseRefusal(root, sqlText)
	}
	stmts := jsonArr(root, "statements")
	if len(stmts) != 1 {
		return nil, refuseSQL("只接受一条 SELECT 语句, 收到 %d 条", len(stmts))
	}
	w := &sqlWalker{aggregates: a.aggregates, resolve: resolve}
	rel, err := w.query(asJSONObj(asJSONObj(stmts[0])["node"]), nil)
	if err != nil {
		return nil, err
	}
	return toAttribution(rel)
}

// parseRefusal turns DuckDB's {"error": true} answer into a refusal. A statement other than a
// SELECT is reported by DuckDB as not serialisable; its leading keyword names it for the author.
func parseRefusal(root jsonObj, sqlText string) error {
	msg, _ := root["error_message"].(string)
	if root["error_type"] == "not implemented" {
		switch word := leadingWord(sqlText); word {
		case "", "SELECT", "WITH", "FROM", "VALUES", "(":
			return refuseSQL("只接受一条 SELECT 语句, 其中含有不是 SELECT 的语句")
		default:
			return refuseSQL("只接受一条 SELECT 语句, 不接受 %s 语句", word)
		}
	}
	if root["error_type"] == "parser" {
		return refuseSQL("SQL 语法错误: %s", msg)
	}
	return refuseSQL("无法解析 SQL: %s", msg)
}

// leadingWord is the first keyword of the text after blanks and comments, upper-cased, for error
// messages only; DuckDB has already said the statement is not a SELECT.
func leadingWord(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n\f")
		switch {
		case strings.HasPrefix(s, "--"):
			_, s, _ = strings.Cut(s, "\n")
		case strings.HasPrefix(s, "/*"):
			_, s, _ = strings.Cut(s, "*/")
		case strings.HasPrefix(s, "("):
			return "("
		default:
			end := strings.IndexFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
			if end < 0 {
				end = len(s)
			}
			return strings.ToUpper(clipText(s[:end], 20))
		}
	}
}

// jsonDepth measures the nesting of a JSON text without decoding it, so that a deep tree is
// refused before anything recurses over it.
func jsonDepth(text string) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range []byte(text) {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

var outputName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// toAttribution checks the outputs of the top query and turns them into the sorted public form.
func toAttribution(rel *sqlRel) (*Attribution, error) {
	if len(rel.columns) == 0 {
		return nil, refuseSQL("查询没有输出列")
	}
	out := &Attribution{Inputs: make([]string, 0, len(rel.inputs)), Filters: rel.filters.sorted()}
	seen := map[string]bool{}
	for i, c := range rel.columns {
		switch {
		case c.name == "":
			return nil, refuseSQL("第 %d 个输出列需要别名", i+1)
		case !outputName.MatchString(c.name):
			return nil, refuseSQL("第 %d 个输出列的列名 %s 不合法: 须以字母开头, 只含字母、数字和下划线", i+1, c.name)
		case seen[strings.ToLower(c.name)]:
			return nil, refuseSQL("输出列名 %s 重复", c.name)
		}
		seen[strings.ToLower(c.name)] = true
		out.Columns = append(out.Columns, OutputColumn{Name: c.name, Sources: c.refs.sorted()})
	}
	for e := range rel.inputs {
		out.Inputs = append(out.Inputs, e)
	}
	slices.Sort(out.Inputs)
	return out, nil
}

// maxWork bounds what one attribution may do, so that SQL written to multiply work (a wide CTE
// read thousands of times, stars over wide joins) is refused in milliseconds, not walked for
// seconds; ordinary transforms use a few thousand.
const maxWork = 500_000

// spend counts work and refuses once the bound is passed.
func (w *sqlWalker) spend(n int) error {
	if w.work += n; w.work > maxWork {
		return refuseSQL("SQL 过于复杂: 归属所需的工作量超过上限")
	}
	return nil
}

// add is refSet.addVia, counted; the bound is checked at the next node.
func (w *sqlWalker) add(into, src refSet, via Via) {
	w.work += len(src)
	into.addVia(src, via)
}

// refSet is a set of input columns with the way each reaches an output.
type refSet map[ColumnRef]struct{}

// addVia adds src as seen from a context: in a direct context each reference keeps its own way,
// otherwise the context's way wins (see Via).
func (r refSet) addVia(src refSet, ctx Via) {
	for ref := range src {
		if ctx != ViaDirect {
			ref.Via = ctx
		}
		r[ref] = struct{}{}
	}
}

func (r refSet) sorted() []ColumnRef {
	out := make([]ColumnRef, 0, len(r))
	for ref := range r {
		out = append(out, ref)
	}
	slices.SortFunc(out, func(a, b ColumnRef) int {
		return cmp.Or(cmp.Compare(a.Entry, b.Entry), cmp.Compare(a.Field, b.Field), cmp.Compare(a.Via, b.Via))
	})
	return out
}

// jsonObj is one node of DuckDB's parse tree; the helpers read it leniently (a missing key reads as
// empty), and the walk refuses a node whose type or class it does not know.
type jsonObj = map[string]any

func asJSONObj(v any) jsonObj            { o, _ := v.(jsonObj); return o }
func jsonStr(o jsonObj, k string) string { s, _ := o[k].(string); return s }
func jsonArr(o jsonObj, k string) []any  { a, _ := o[k].([]any); return a }
func jsonStrs(o jsonObj, k string) []string {
	var out []string
	for _, v := range jsonArr(o, k) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// intLiteral is the value of an integer literal (GROUP BY 1, ORDER BY 2), if n is one.
func intLiteral(n jsonObj) (int, bool) {
	if n["class"] != "CONSTANT" {
		return 0, false
	}
	v := asJSONObj(n["value"])
	if id := jsonStr(asJSONObj(v["type"]), "id"); !strings.Contains(id, "INT") || id == "INTERVAL" {
		return 0, false
	}
	num, ok := v["value"].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := num.Int64()
	return int(i), err == nil && i >= -1<<31 && i < 1<<31
}
