package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cqeco/ecolake/schemas"
)

// An entry's load settings: how a load writes its rows (WriteMode), the share of invalid rows a
// load may hold (MaxRejectedPercent), the checks every row must pass (its items' ranges and its
// Rules) and how its files are partitioned (Partitions). The catalogue's validation and ingest
// read ranges and rules with the same functions (ParseBound, ParseRule, ParsePartition), so that
// what a steward was allowed to write is exactly what a load enforces.

// Write modes of an entry (Entry.WriteMode; "" is WriteModeAppend).
const (
	WriteModeAppend = "append" // 追加: each load adds its rows
	WriteModeUpsert = "upsert" // 按主键更新: a load replaces the parent's rows with the same key items
)

// WriteModeNames are the Chinese names of the write modes.
var WriteModeNames = map[string]string{WriteModeAppend: "追加", WriteModeUpsert: "按主键更新"}

// WriteModeName is the Chinese name of write mode m ("" is append); an unknown mode as it is.
func WriteModeName(m string) string {
	if m == "" {
		m = WriteModeAppend
	}
	if n, ok := WriteModeNames[m]; ok {
		return n
	}
	return m
}

// Bounds of the load settings.
const (
	MaxRules      = 32  // rules per entry
	MaxRuleChars  = 200 // characters per rule
	MaxPartitions = 3   // partition columns per entry
)

// ParseBound parses one end of an item's range as the item's type t parses its values: an int64,
// float64 or time.Time. Only INT, FLOAT, DATE and TIMESTAMP items have ranges.
func ParseBound(t schemas.DataType, s string) (any, error) {
	switch t {
	case schemas.Int, schemas.Float, schemas.Date, schemas.Timestamp:
	default:
		return nil, schemas.Userf(ErrInvalid, "%s类型的信息项不能设置取值范围（仅整数、数值、日期、日期时间可以）", typeName(t))
	}
	v, err := t.Parse(s)
	if err != nil {
		return nil, schemas.Userf(ErrInvalid, "%s", err.Error())
	}
	return v, nil
}

// ItemRange is it's range parsed (ParseBound), nil for an end not set.
func ItemRange(it Item) (lo, hi any, err error) {
	if it.Min != "" {
		if lo, err = ParseBound(it.Type, it.Min); err != nil {
			return nil, nil, err
		}
	}
	if it.Max != "" {
		if hi, err = ParseBound(it.Type, it.Max); err != nil {
			return nil, nil, err
		}
	}
	return lo, hi, nil
}

// Rule is one parsed cross-field rule of an entry: Left Op Right, where Right is an item
// (RightAt ≥ 0) or a constant (RightAt = -1) parsed as Left's type parses its values.
type Rule struct {
	Left    Item
	LeftAt  int // position of Left among the entry's items
	Op      string
	Right   Item // zero for a constant
	RightAt int
	Const   any    // the constant: string, int64, float64, bool or time.Time
	Literal string // the constant as written, without quotes
}

// RuleOps are the operators a rule may use.
var RuleOps = []string{"<", "<=", ">", ">=", "=", "!="}

// opSpellings maps what may be typed for an operator (full-width forms, ≤ ≥ ≠, == and <>) to it.
var opSpellings = map[string]string{
	"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "=", "==": "=", "!=": "!=", "<>": "!=",
	"≤": "<=", "≥": ">=", "≠": "!=",
}

func opRune(r rune) (string, bool) {
	switch r {
	case '<', '>', '=', '!', '≤', '≥', '≠':
		return string(r), true
	case '＜', '＞', '＝', '！': // full-width, as a Chinese input method types them
		return string(r - 0xFEE0), true
	}
	return "", false
}

// Label is the rule as a district reads it: the items by their Chinese names.
func (r Rule) Label() string {
	right := r.Literal
	if r.RightAt >= 0 {
		right = r.Right.Name
	} else if r.Left.Type == schemas.String {
		right = `"` + r.Literal + `"`
	}
	return r.Left.Name + " " + r.Op + " " + right
}

// ParseRule parses a rule "<field> <op> <field or constant>" against the entry's items: fields
// are item identifiers, op one of RuleOps, a constant is written as the left item's type parses
// it (a text constant in quotes). Both sides must compare: the same type, numbers with numbers,
// dates with date-times; text and yes/no items only with = and !=.
func ParseRule(items ItemList, text string) (Rule, error) {
	r := Rule{RightAt: -1}
	text = strings.TrimSpace(text)
	if text == "" {
		return r, schemas.Userf(ErrInvalid, "规则为空")
	}
	if n := utf8.RuneCountInString(text); n > MaxRuleChars {
		return r, schemas.Userf(ErrInvalid, "规则长 %d 个字符，超过上限 %d 个字符", n, MaxRuleChars)
	}
	at := strings.IndexFunc(text, func(c rune) bool { _, ok := opRune(c); return ok })
	end, op := at, ""
	for at >= 0 && end < len(text) {
		c, size := utf8.DecodeRuneInString(text[end:])
		o, ok := opRune(c)
		if !ok {
			break
		}
		op, end = op+o, end+size
	}
	if at < 0 {
		return r, schemas.Userf(ErrInvalid, "%s缺少比较运算符（可用：%s），应写作“字段 运算符 字段或常量”，如 sample_date <= report_date", schemas.Quote(text), strings.Join(RuleOps, " "))
	}
	if r.Op = opSpellings[op]; r.Op == "" {
		return r, schemas.Userf(ErrInvalid, "运算符%s无效（可用：%s）", schemas.Quote(op), strings.Join(RuleOps, " "))
	}
	left, right := strings.TrimSpace(text[:at]), strings.TrimSpace(text[end:])
	if left == "" || right == "" {
		return r, schemas.Userf(ErrInvalid, "%s应写作“字段 运算符 字段或常量”，如 sample_date <= report_date", schemas.Quote(text))
	}
	var ok bool
	if r.Left, r.LeftAt, ok = items.Field(left); !ok {
		return r, schemas.Userf(ErrInvalid, "%s不是本目录信息项的字段标识", schemas.Quote(left))
	}
	lt := r.Left.Type
	if slices.Contains([]string{"<", "<=", ">", ">="}, r.Op) && (lt == schemas.String || lt == schemas.Bool) {
		return r, schemas.Userf(ErrInvalid, "信息项“%s”是%s类型，只能用 = 或 != 比较", r.Left.Name, typeName(lt))
	}
	lit, quoted := unquote(right)
	if !quoted {
		if r.Right, r.RightAt, ok = items.Field(right); ok {
			return r, checkComparable(r)
		}
		if identLike(right) && !(lt == schemas.Bool && boolWord(right)) {
			return r, schemas.Userf(ErrInvalid, "%s不是本目录信息项的字段标识（文本常量请加引号）", schemas.Quote(right))
		}
	}
	v, err := lt.Parse(lit)
	if err != nil {
		return r, schemas.Userf(ErrInvalid, "常量%s不能与信息项“%s”比较：%s", schemas.Quote(lit), r.Left.Name, err.Error())
	}
	r.Const, r.Literal = v, lit
	return r, nil
}

// checkComparable refuses a rule between two items whose values do not compare.
func checkComparable(r Rule) error {
	if r.LeftAt == r.RightAt {
		return schemas.Userf(ErrInvalid, "规则两边是同一信息项“%s”", r.Left.Name)
	}
	if !Comparable(r.Left.Type, r.Right.Type) {
		return schemas.Userf(ErrInvalid, "信息项“%s”（%s）与“%s”（%s）的类型不能比较", r.Left.Name, typeName(r.Left.Type),
			r.Right.Name, typeName(r.Right.Type))
	}
	return nil
}

// Comparable reports whether values of types a and b compare: the same type, two numbers, or a
// date with a date-time (the date as its midnight).
func Comparable(a, b schemas.DataType) bool {
	temporal := func(t schemas.DataType) bool { return t == schemas.Date || t == schemas.Timestamp }
	return a == b || a.Numeric() && b.Numeric() || temporal(a) && temporal(b)
}

func unquote(s string) (string, bool) {
	for _, q := range [][2]string{{`"`, `"`}, {`'`, `'`}, {"“", "”"}, {"‘", "’"}} {
		if len(s) >= len(q[0])+len(q[1]) && strings.HasPrefix(s, q[0]) && strings.HasSuffix(s, q[1]) {
			return s[len(q[0]) : len(s)-len(q[1])], true
		}
	}
	return s, false
}

// identLike reports text written as a field identifier would be (a misspelt field, or a text
// constant without quotes).
func identLike(s string) bool {
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

func boolWord(s string) bool { _, err := schemas.ParseBool(s); return err == nil }

func typeName(t schemas.DataType) string { return schemas.DataTypes.NameOf(string(t)) }

// Partition is one parsed partition column of an entry: an item's field, or the year or month
// (Transform) of a DATE or TIMESTAMP item.
type Partition struct {
	Field     string
	At        int    // position of the item among the entry's items
	Transform string // "", "year" or "month"
}

// ParsePartition parses a partition column, "field", "year(field)" or "month(field)". A column
// must hold few distinct values and nothing personal, since its values name directories: no
// FLOAT item, no TIMESTAMP item but by year or month, no personal-information item.
func ParsePartition(items ItemList, spec string) (Partition, error) {
	var pt Partition
	field := strings.TrimSpace(spec)
	for _, fn := range []string{"year", "month"} {
		if inner, ok := strings.CutPrefix(field, fn+"("); ok && strings.HasSuffix(inner, ")") {
			pt.Transform, field = fn, strings.TrimSpace(strings.TrimSuffix(inner, ")"))
		}
	}
	it, at, ok := items.Field(field)
	if !ok {
		return pt, schemas.Userf(ErrInvalid, "%s不是本目录信息项的字段标识（可写 字段、year(字段) 或 month(字段)）", schemas.Quote(field))
	}
	pt.Field, pt.At = it.Field, at
	temporal := it.Type == schemas.Date || it.Type == schemas.Timestamp
	switch {
	case pt.Transform != "" && !temporal:
		return pt, schemas.Userf(ErrInvalid, "%s(…) 只适用于日期或日期时间信息项，“%s”是%s类型", pt.Transform, it.Name, typeName(it.Type))
	case it.PIType != "":
		return pt, schemas.Userf(ErrInvalid, "信息项“%s”是个人信息，不能作为分区列（分区值会出现在文件路径中）", it.Name)
	case pt.Transform == "" && it.Type == schemas.Float:
		return pt, schemas.Userf(ErrInvalid, "数值型信息项“%s”不能作为分区列", it.Name)
	case pt.Transform == "" && it.Type == schemas.Timestamp:
		return pt, schemas.Userf(ErrInvalid, "日期时间信息项“%s”请按年或月分区：year(%s) 或 month(%s)", it.Name, it.Field, it.Field)
	}
	return pt, nil
}

// compareBounds orders two ends of a range of the same type (ParseBound's values).
func compareBounds(a, b any) int {
	switch x := a.(type) {
	case int64:
		y, _ := b.(int64)
		return cmp.Compare(x, y)
	case float64:
		y, _ := b.(float64)
		return cmp.Compare(x, y)
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	}
	return 0
}

// checkLoadSettings checks e's load settings and its items' ranges into p.
func checkLoadSettings(p *problems, e *Entry) {
	for i, it := range e.Items.All() {
		checkRange(p, i, it)
	}
	switch e.WriteMode {
	case "", WriteModeAppend:
	case WriteModeUpsert:
		hasKey := false
		for _, it := range e.Items.All() {
			hasKey = hasKey || it.IsKey
		}
		if !hasKey && !(p.draft && e.Items.Len() == 0) {
			p.add("write_mode", "按主键更新（upsert）须至少有一个主键信息项（is_key），本目录没有")
		}
	default:
		p.add("write_mode", "%s不是写入方式（可选：append 追加、upsert 按主键更新）", schemas.Quote(e.WriteMode))
	}
	if v := e.MaxRejectedPercent; v != nil && !(*v >= 0 && *v <= 100) {
		p.add("max_rejected_percent", "拒收行数上限 %g%% 应在 0 到 100 之间", *v)
	}
	checkRetention(p, e)
	if len(e.Rules) > MaxRules {
		p.add("rules", "最多 %d 条规则，当前 %d 条", MaxRules, len(e.Rules))
	} else {
		seen := map[string]int{}
		for i, text := range e.Rules {
			at := fmt.Sprintf("rules[%d]", i)
			if _, err := ParseRule(e.Items, text); err != nil {
				p.add(at, "%s", err.Error())
			} else if j, dup := seen[strings.TrimSpace(text)]; dup {
				p.add(at, "与 rules[%d] 重复", j)
			} else {
				seen[strings.TrimSpace(text)] = i
			}
		}
	}
	if len(e.Partitions) > MaxPartitions {
		p.add("partitions", "最多 %d 个分区列，当前 %d 个", MaxPartitions, len(e.Partitions))
		return
	}
	seen := map[Partition]int{}
	for i, spec := range e.Partitions {
		at := fmt.Sprintf("partitions[%d]", i)
		pt, err := ParsePartition(e.Items, spec)
		if err != nil {
			p.add(at, "%s", err.Error())
		} else if j, dup := seen[pt]; dup {
			p.add(at, "与 partitions[%d] 重复", j)
		} else {
			seen[pt] = i
		}
	}
}

// checkRange checks the range of item it, the i-th of its entry.
func checkRange(p *problems, i int, it Item) {
	if it.Min == "" && it.Max == "" {
		return
	}
	at := func(sub string) string {
		if it.Field != "" {
			return fmt.Sprintf("items[%d] (%s).%s", i, it.Field, sub)
		}
		return fmt.Sprintf("items[%d].%s", i, sub)
	}
	var lo, hi any
	var err error
	if it.Min != "" {
		if lo, err = ParseBound(it.Type, it.Min); err != nil {
			p.add(at("min"), "%s", err.Error())
		}
	}
	if it.Max != "" {
		if hi, err = ParseBound(it.Type, it.Max); err != nil {
			p.add(at("max"), "%s", err.Error())
		}
	}
	if lo != nil && hi != nil && compareBounds(lo, hi) > 0 {
		p.add(at("min"), "最小值 %s 大于最大值 %s", it.Min, it.Max)
	}
}
