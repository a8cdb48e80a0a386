package query

import (
	"github.com/cqeco/ecolake/schemas"
)

// Column is one item of an entry as the plan sees it: a validated identifier and its type.
type Column struct {
	Field string
	Type  schemas.DataType
	// Codes names the code list of the item's values ("districts"), "" for none: such an item
	// answers with the name beside the code (<field>Name), and a filter takes either.
	Codes string
}

// Op is a comparison of a filter.
type Op string

// Comparisons a filter may use; range comparisons only on ordered types.
const (
	OpEq     Op = "eq"
	OpIn     Op = "in"
	OpGt     Op = "gt"
	OpGte    Op = "gte"
	OpLt     Op = "lt"
	OpLte    Op = "lte"
	OpIsNull Op = "isNull"
	OpNe     Op = "ne"   // not equal; rows whose value is null do not match
	OpLike   Op = "like" // text matching a pattern (% any run, _ one character), bound as a value
)

var sqlOps = map[Op]string{OpEq: "=", OpNe: "<>", OpGt: ">", OpGte: ">=", OpLt: "<", OpLte: "<="}

// Cond is a filter tree: either a conjunction/disjunction of children or one comparison; Not
// negates the conjunction of And (kept as children so that every walk of the tree visits them).
// Values are Go values of the column's type (string, int64, float64, bool, time.Time); they only
// ever reach SQL as bound parameters.
type Cond struct {
	And    []*Cond
	Or     []*Cond
	Not    bool
	Column Column
	Op     Op
	Value  any   // eq and ranges
	Values []any // in
	IsNull bool  // isNull: true for IS NULL, false for IS NOT NULL
}

// Order is one ordering term.
type Order struct {
	Column Column
	Desc   bool
}

// AggFunc is an aggregate function.
type AggFunc string

// Aggregate functions.
const (
	AggSum AggFunc = "sum"
	AggAvg AggFunc = "avg"
	AggMin AggFunc = "min"
	AggMax AggFunc = "max"
)

// Agg is one aggregate over a column.
type Agg struct {
	Func   AggFunc
	Column Column
}

// Plan is a typed read of one entry's current snapshot, produced by a resolver from GraphQL
// arguments and turned into SQL by BuildSQL. Nothing in it is SQL text.
type Plan struct {
	Entry    string   // resource code
	Table    string   // lake table
	Snapshot string   // snapshot read, from the view taken at the start of the request
	Past     bool     // Snapshot is not the entry's current one (asOf): no native copy is made of it
	Source   []Column // every item of the entry, in item order: what filters and orders may use
	// Stored is every item of the entry whatever the policy shows (Source is narrowed to what
	// the principal may use), and Key its key items: what a native copy of the snapshot holds
	// and is sorted by (native.go). No statement reading data selects beyond Source.
	Stored  []Column
	Key     []Column
	Columns []Column // rows: the projection
	// Masks maps a projected column to the pi_type it is masked by (mask.go); set by the policy.
	Masks map[string]string
	Where *Cond
	// Rows
	OrderBy []Order
	Limit   int
	Offset  int
	// Aggregates; Aggregate is true even when only count is asked for.
	Aggregate bool
	GroupBy   []Column
	Aggs      []Agg
	// MinGroup, when above 0, withholds every aggregate group (or ungrouped total) of fewer rows.
	MinGroup int
}
