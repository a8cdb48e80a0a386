package query

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/cqeco/ecolake/schemas"
)

// Long is a 64-bit integer scalar: GraphQL's Int stops at 2^31, lake INT items are int64.
// It is written as a JSON number and read from an integer literal, a JSON number or a string of
// digits (for clients whose numbers are doubles).
var Long = graphql.NewScalar(graphql.ScalarConfig{
	Name:         "Long",
	Description:  "64 位整数",
	Serialize:    serializeLong,
	ParseValue:   parseLong,
	ParseLiteral: parseLongLiteral,
})

func serializeLong(v any) any {
	switch n := v.(type) {
	case int64:
		return n
	case *int64:
		if n == nil {
			return nil
		}
		return *n
	case int:
		return int64(n)
	case int32:
		return int64(n)
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<63 {
			return int64(n)
		}
	}
	return nil
}

func parseLong(v any) any {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case int32:
		return int64(n)
	case float64:
		// JSON variables decoded without UseNumber: only exact integers are accepted.
		if n == math.Trunc(n) && math.Abs(n) <= 1<<53 {
			return int64(n)
		}
	case json.Number:
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i
		}
	case string:
		if i, err := strconv.ParseInt(n, 10, 64); err == nil {
			return i
		}
	}
	return nil
}

func parseLongLiteral(v ast.Value) any {
	switch n := v.(type) {
	case *ast.IntValue:
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			return i
		}
	case *ast.StringValue:
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			return i
		}
	}
	return nil
}

// orderDirection is the sort direction of an orderBy term.
var orderDirection = graphql.NewEnum(graphql.EnumConfig{
	Name:        "OrderDirection",
	Description: "排序方向",
	Values: graphql.EnumValueConfigMap{
		"ASC":  {Value: "ASC", Description: "升序"},
		"DESC": {Value: "DESC", Description: "降序"},
	},
})

// scalarOf is the GraphQL scalar values of an item are returned and filtered as: Long for 64-bit
// integers, and DATE/TIMESTAMP as ISO-8601 text.
func scalarOf(t schemas.DataType) *graphql.Scalar {
	switch t {
	case schemas.Int:
		return Long
	case schemas.Float:
		return graphql.Float
	case schemas.Bool:
		return graphql.Boolean
	default:
		return graphql.String
	}
}

// filterTypes holds one filter input type per data type, shared by every table.
var filterTypes = func() map[schemas.DataType]*graphql.InputObject {
	names := map[schemas.DataType]string{
		schemas.String: "StringFilter", schemas.Int: "LongFilter", schemas.Float: "FloatFilter",
		schemas.Bool: "BooleanFilter", schemas.Date: "DateFilter", schemas.Timestamp: "TimestampFilter",
	}
	out := map[schemas.DataType]*graphql.InputObject{}
	for t, name := range names {
		s := scalarOf(t)
		fields := graphql.InputObjectConfigFieldMap{
			"eq":     {Type: s, Description: "等于"},
			"ne":     {Type: s, Description: "不等于 (空值不计入)"},
			"in":     {Type: graphql.NewList(graphql.NewNonNull(s)), Description: "属于列表之一"},
			"isNull": {Type: graphql.Boolean, Description: "true 为空值, false 为非空值"},
		}
		if t == schemas.String {
			fields["like"] = &graphql.InputObjectFieldConfig{Type: s, Description: "匹配模式: % 任意多个字符, _ 一个字符, \\ 转义"}
		}
		if t.Ordered() {
			fields["gt"] = &graphql.InputObjectFieldConfig{Type: s, Description: "大于"}
			fields["gte"] = &graphql.InputObjectFieldConfig{Type: s, Description: "大于等于"}
			fields["lt"] = &graphql.InputObjectFieldConfig{Type: s, Description: "小于"}
			fields["lte"] = &graphql.InputObjectFieldConfig{Type: s, Description: "小于等于"}
		}
		desc := "过滤条件"
		switch t {
		case schemas.Date:
			desc = "日期过滤条件, 值为 YYYY-MM-DD"
		case schemas.Timestamp:
			desc = "日期时间过滤条件, 值为 YYYY-MM-DDTHH:MM:SS"
		}
		out[t] = graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Description: desc, Fields: fields})
		// Define the fields now: graphql-go defines them lazily and without a lock, and these
		// types are shared by schemas built concurrently.
		out[t].Fields()
	}
	return out
}()
