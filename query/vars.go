package query

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// Variable values arrive as decoded JSON and graphql-go coerces them loosely: any string but
// "" and "false" is a true Boolean (so "' OR '1'='1" filters like true), any value prints as a
// String, "12" is an Int. Values of the built-in scalars and of Long are therefore checked
// against their declared type first, wherever they sit (inside input objects and lists too),
// and all values are bounded in size and nesting, since they never pass the guard's scanner.

// measureVariables bounds the variable values as a whole.
func (c Config) measureVariables(vars map[string]any) *guardError {
	size, depth := 2, 0
	for k, v := range vars {
		s, d := measure(reflect.ValueOf(v), 0)
		size += len(k) + 4 + s
		depth = max(depth, d)
	}
	if size > c.MaxVariableBytes {
		return tooComplex("maxVariableBytes", size, c.MaxVariableBytes, "变量过大: 约 %d 字节, 上限 %d 字节")
	}
	if depth > c.MaxNesting {
		return tooComplex("maxNesting", depth, c.MaxNesting, "变量嵌套过深: %d 层, 上限 %d 层")
	}
	return nil
}

// measure returns about how many bytes v takes as JSON and how deep its lists and objects nest.
func measure(v reflect.Value, level int) (size, depth int) {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return 4, level
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Map:
		size, depth = 2, level+1
		it := v.MapRange()
		for it.Next() {
			s, d := measure(it.Value(), level+1)
			size += len(fmt.Sprint(it.Key().Interface())) + 4 + s
			depth = max(depth, d)
		}
		return size, depth
	case reflect.Slice, reflect.Array:
		size, depth = 2, level+1
		for i := range v.Len() {
			s, d := measure(v.Index(i), level+1)
			size += s + 1
			depth = max(depth, d)
		}
		return size, depth
	case reflect.String:
		return v.Len() + 2, level
	case reflect.Invalid:
		return 4, level
	default:
		return 8, level
	}
}

// strictVariables checks the values of the variables declared by the operations that may run.
func strictVariables(sc *graphql.Schema, doc *ast.Document, opName string, vars map[string]any) *guardError {
	for _, d := range doc.Definitions {
		op, ok := d.(*ast.OperationDefinition)
		if !ok || (opName != "" && (op.Name == nil || op.Name.Value != opName)) {
			continue
		}
		for _, vd := range op.VariableDefinitions {
			name := vd.Variable.Name.Value
			v, ok := vars[name]
			if !ok {
				continue
			}
			if path, want, got := strictAST(sc, vd.Type, v, ""); want != "" {
				where := ""
				if path != "" {
					where = " 中 " + strings.TrimPrefix(path, ".")
				}
				return &guardError{msg: fmt.Sprintf("变量 $%s%s 的值无效: 应为 %s, 实际为%s", name, where, want, got),
					code: codeBadInput, ext: map[string]any{"variable": name}}
			}
		}
	}
	return nil
}

// strictAST follows a declared variable type; want is "" when v fits it.
func strictAST(sc *graphql.Schema, t ast.Type, v any, path string) (at, want, got string) {
	switch t := t.(type) {
	case *ast.NonNull:
		return strictAST(sc, t.Type, v, path)
	case *ast.List:
		return eachElement(v, path, func(e any, p string) (string, string, string) { return strictAST(sc, t.Type, e, p) })
	case *ast.Named:
		// An unknown type is graphql-go's to report.
		if typ := sc.Type(t.Name.Value); typ != nil {
			return strictType(typ, v, path)
		}
	}
	return "", "", ""
}

// strictType follows a schema type: the fields of an input object and the elements of a list.
func strictType(t graphql.Type, v any, path string) (at, want, got string) {
	if v == nil {
		return "", "", "" // a missing required value is graphql-go's to report
	}
	switch t := t.(type) {
	case *graphql.NonNull:
		return strictType(t.OfType, v, path)
	case *graphql.List:
		return eachElement(v, path, func(e any, p string) (string, string, string) { return strictType(t.OfType, e, p) })
	case *graphql.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return "", "", "" // graphql-go refuses a non-object
		}
		fields := t.Fields()
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if f, ok := fields[k]; ok {
				if at, want, got := strictType(f.Type, m[k], path+"."+k); want != "" {
					return at, want, got
				}
			}
		}
	case *graphql.Scalar:
		if want := scalarFits(t.Name(), v); want != "" {
			return path, want, kindOf(v)
		}
	}
	return "", "", ""
}

// eachElement checks each element of a list value, or a single value standing for a list of one
// (as GraphQL's input coercion allows).
func eachElement(v any, path string, check func(any, string) (string, string, string)) (string, string, string) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return check(v, path)
	}
	for i := range rv.Len() {
		if at, want, got := check(rv.Index(i).Interface(), fmt.Sprintf("%s[%d]", path, i)); want != "" {
			return at, want, got
		}
	}
	return "", "", ""
}

// scalarFits returns what a scalar wants when v is not of it, "" when it is. Scalars other than
// the built-in ones and Long parse their own values.
func scalarFits(name string, v any) string {
	switch name {
	case "Boolean":
		if _, ok := v.(bool); !ok {
			return "Boolean (true 或 false)"
		}
	case "String":
		if _, ok := v.(string); !ok {
			return "String (字符串)"
		}
	case "ID":
		_, isString := v.(string)
		if _, isInt := integer(v); !isString && !isInt {
			return "ID (字符串或整数)"
		}
	case "Int":
		if n, ok := integer(v); !ok || n < math.MinInt32 || n > math.MaxInt32 {
			return "Int (32 位整数)"
		}
	case "Float":
		if !isNumber(v) {
			return "Float (数字)"
		}
	case "Long":
		// Long also reads a string of digits, for clients whose numbers are doubles (scalars.go).
		s, isString := v.(string)
		if isString {
			if _, err := strconv.ParseInt(s, 10, 64); err == nil {
				return ""
			}
		}
		if _, ok := integer(v); isString || !ok {
			return "Long (64 位整数或整数字符串)"
		}
	}
	return ""
}

// integer reads an integral number that fits int64 from any Go numeric type or json.Number.
func integer(v any) (int64, bool) {
	switch x := v.(type) {
	case int, int8, int16, int32, int64:
		return reflect.ValueOf(x).Int(), true
	case uint, uint8, uint16, uint32, uint64:
		u := reflect.ValueOf(x).Uint()
		return int64(u), u <= math.MaxInt64
	case float32:
		return integralFloat(float64(x))
	case float64:
		return integralFloat(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		if f, err := x.Float64(); err == nil {
			return integralFloat(f)
		}
	}
	return 0, false
}

func integralFloat(f float64) (int64, bool) {
	if math.IsNaN(f) || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

func isNumber(v any) bool {
	switch x := v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case float32:
		return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case json.Number:
		_, err := x.Float64()
		return err == nil
	}
	return false
}

// kindOf names what a value is, never what it says: the value may be long.
func kindOf(v any) string {
	switch v.(type) {
	case bool:
		return "布尔值"
	case string:
		return "字符串"
	case map[string]any:
		return "对象"
	}
	if isNumber(v) {
		return " " + capText(fmt.Sprint(v), 32) + " (数字)"
	}
	if k := reflect.ValueOf(v).Kind(); k == reflect.Slice || k == reflect.Array {
		return "列表"
	}
	return fmt.Sprintf("%T", v)
}
