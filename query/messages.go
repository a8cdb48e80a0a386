package query

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/location"
)

// graphql-go speaks English and echoes what it was sent. Its errors are given a Chinese message
// here, its own text kept (capped) in extensions.graphql; the resolvers' userErrors are Chinese
// already and stay as they are. Every answer then passes through bound, which caps the number
// of errors and the length of every text, so that no answer echoes unbounded input.

func (e *guardError) formatted() gqlerrors.FormattedError {
	ext := map[string]any{"code": e.code}
	for k, v := range e.ext {
		ext[k] = v
	}
	return gqlerrors.FormattedError{Message: e.msg, Extensions: ext}
}

// coded is an error answer of ours with no location in the document.
func coded(code, format string, args ...any) gqlerrors.FormattedError {
	return gqlerrors.FormattedError{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code}}
}

// syntaxError words a parse failure; graphql-go's text quotes the offending line of the source.
func syntaxError(err error) gqlerrors.FormattedError {
	fe := gqlerrors.FormatError(err)
	msg := "查询语法错误"
	if len(fe.Locations) > 0 {
		msg = fmt.Sprintf("查询语法错误 (第 %d 行第 %d 列)", fe.Locations[0].Line, fe.Locations[0].Column)
	}
	return gqlerrors.FormattedError{Message: msg, Locations: fe.Locations,
		Extensions: map[string]any{"code": codeSyntax, "graphql": fe.Message}}
}

// phase is the step of graphql-go an error came from; it words errors no pattern knows.
type phase struct{ fallback, code string }

var (
	validationPhase = phase{"查询校验失败", codeValidation}
	executionPhase  = phase{"查询执行失败", codeExecution}
)

// localise gives graphql-go's errors a Chinese message and keeps the resolvers' own. The
// document was parsed without its source, so every error is located here from its positions.
func localise(errs []gqlerrors.FormattedError, ph phase, lines lines) []gqlerrors.FormattedError {
	out := make([]gqlerrors.FormattedError, 0, len(errs))
	for _, e := range errs {
		e.Locations = lines.locate(e)
		if userErrorOf(e) != nil {
			out = append(out, e)
			continue
		}
		msg, code, known := translate(e.Message, ph)
		if !known && ph == executionPhase && len(e.Path) > 0 {
			// Raised by a resolver at a path, not by graphql-go: the resolver chose the words.
			out = append(out, e)
			continue
		}
		ext := map[string]any{}
		for k, v := range e.Extensions {
			ext[k] = v
		}
		ext["code"], ext["graphql"] = code, e.Message
		out = append(out, gqlerrors.FormattedError{Message: msg, Locations: e.Locations, Path: e.Path, Extensions: ext})
	}
	return out
}

// lines holds where each line of a document starts, to turn byte positions into locations.
type lines []int

func newLines(doc string) lines {
	starts := lines{0}
	for i := 0; i < len(doc); i++ {
		switch doc[i] {
		case '\r':
			if i+1 < len(doc) && doc[i+1] == '\n' {
				i++
			}
			starts = append(starts, i+1)
		case '\n':
			starts = append(starts, i+1)
		}
	}
	return starts
}

// locate returns the line and column (counted in bytes, as graphql-go does) of the positions an
// error carries, at most maxLocations of them.
func (l lines) locate(e gqlerrors.FormattedError) []location.SourceLocation {
	ge, ok := e.OriginalError().(*gqlerrors.Error)
	if !ok || len(ge.Positions) == 0 {
		return e.Locations
	}
	out := []location.SourceLocation{}
	for _, pos := range ge.Positions[:min(len(ge.Positions), maxLocations)] {
		n := sort.SearchInts(l, pos+1) - 1 // the last line starting at or before pos
		out = append(out, location.SourceLocation{Line: n + 1, Column: pos - l[n] + 1})
	}
	return out
}

// userErrorOf finds a resolver's userError under graphql-go's wrappers, which do not unwrap.
func userErrorOf(e gqlerrors.FormattedError) *userError {
	err := e.OriginalError()
	for range 8 {
		switch x := err.(type) {
		case nil:
			return nil
		case *gqlerrors.Error:
			err = x.OriginalError
		case gqlerrors.Error:
			err = x.OriginalError
		case gqlerrors.FormattedError:
			err = x.OriginalError()
		case *gqlerrors.FormattedError:
			err = x.OriginalError()
		default:
			var ue *userError
			if errors.As(err, &ue) {
				return ue
			}
			return nil
		}
	}
	return nil
}

// translations word graphql-go v0.8.1's messages; ${n} are the pattern's groups, and a template
// ending in "%s" gets the first problem of an invalid value appended.
var translations = []struct {
	re         *regexp.Regexp
	msg, code  string
	withDetail bool
}{
	{re(`^Cannot query field "([^"]*)" on type "([^"]*)"`), "查询校验失败: 字段 ${1} 不存在 (类型 ${2})", codeValidation, false},
	{re(`^Unknown argument "([^"]*)" on field "([^"]*)"`), "查询校验失败: 字段 ${2} 没有参数 ${1}", codeValidation, false},
	{re(`^Unknown argument "([^"]*)" on directive "@([^"]*)"`), "查询校验失败: 指令 @${2} 没有参数 ${1}", codeValidation, false},
	{re(`^Argument "([^"]*)" has invalid value`), "查询校验失败: 参数 ${1} 的值无效", codeValidation, true},
	{re(`^Field "([^"]*)" argument "([^"]*)" of type "([^"]*)" is required`), "查询校验失败: 字段 ${1} 缺少必需参数 ${2} (类型 ${3})", codeValidation, false},
	{re(`^Field "([^"]*)" of type "([^"]*)" must have a sub selection`), "查询校验失败: 字段 ${1} (类型 ${2}) 须选择子字段", codeValidation, false},
	{re(`^Field "([^"]*)" of type "([^"]*)" must not have a sub selection`), "查询校验失败: 字段 ${1} (类型 ${2}) 没有子字段", codeValidation, false},
	{re(`^Fields "([^"]*)" conflict`), "查询校验失败: 返回名 ${1} 对应的字段相互冲突", codeValidation, false},
	{re(`^Unknown type "([^"]*)"`), "查询校验失败: 类型 ${1} 不存在", codeValidation, false},
	{re(`^Unknown directive "([^"]*)"`), "查询校验失败: 指令 @${1} 不存在", codeValidation, false},
	{re(`^Unknown fragment "([^"]*)"`), "查询校验失败: 片段 ${1} 未定义", codeValidation, false},
	{re(`^Fragment "([^"]*)" is never used`), "查询校验失败: 片段 ${1} 未被使用", codeValidation, false},
	{re(`^Cannot spread fragment "([^"]*)" within itself`), "查询校验失败: 片段 ${1} 循环引用", codeValidation, false},
	{re(`^Variable "\$([^"]*)" is not defined`), "查询校验失败: 变量 $$${1} 未声明", codeValidation, false},
	{re(`^Variable "\$([^"]*)" is never used`), "查询校验失败: 变量 $$${1} 未被使用", codeValidation, false},
	{re(`^Variable "\$([^"]*)" of type "([^"]*)" used in position expecting type "([^"]*)"`), "查询校验失败: 变量 $$${1} 的类型 ${2} 与所在位置要求的 ${3} 不符", codeValidation, false},
	{re(`^Variable "\$([^"]*)" cannot be non-input type "([^"]*)"`), "查询校验失败: 变量 $$${1} 不能是输出类型 ${2}", codeValidation, false},
	{re(`^Variable "\$([^"]*)" has invalid default value`), "查询校验失败: 变量 $$${1} 的默认值无效", codeValidation, true},
	{re(`^There can (?:only )?be only one argument named "([^"]*)"`), "查询校验失败: 参数 ${1} 重复", codeValidation, false},
	{re(`^There can (?:only )?be only one input field named "([^"]*)"`), "查询校验失败: 输入字段 ${1} 重复", codeValidation, false},
	{re(`^There can (?:only )?be only one fragment named "([^"]*)"`), "查询校验失败: 片段 ${1} 重复定义", codeValidation, false},
	{re(`^There can (?:only )?be only one operation named "([^"]*)"`), "查询校验失败: 操作 ${1} 重复定义", codeValidation, false},
	{re(`^There can (?:only )?be only one variable named "([^"]*)"`), "查询校验失败: 变量 $$${1} 重复声明", codeValidation, false},
	{re(`^This anonymous operation must be the only defined operation`), "查询校验失败: 匿名操作必须是文档中唯一的操作", codeValidation, false},
	{re(`^Variable "\$([^"]*)" got invalid value`), "变量 $$${1} 的值无效", codeBadInput, true},
	{re(`^Variable "\$([^"]*)" of required type "([^"]*)" was not provided`), "缺少必需的变量 $$${1} (类型 ${2})", codeBadInput, false},
	{re(`^Must provide operation name`), "文档包含多个操作, 须以 operationName 指明执行哪一个", codeBadInput, false},
	{re(`^Unknown operation named "([^"]*)"`), "文档中没有名为 ${1} 的操作", codeBadInput, false},
	{re(`^Must provide an operation`), "文档中没有可执行的操作", codeBadInput, false},
	{re(`^Cannot return null for non-nullable field ([^ ]*)\.`), "查询执行失败: 字段 ${1} 不能为空", codeExecution, false},
}

func re(s string) *regexp.Regexp { return regexp.MustCompile(s) }

func translate(msg string, ph phase) (out, code string, known bool) {
	for _, t := range translations {
		m := t.re.FindStringSubmatchIndex(msg)
		if m == nil {
			continue
		}
		out = string(t.re.ExpandString(nil, t.msg, msg, m))
		if t.withDetail {
			out += valueProblem(msg)
		}
		return out, t.code, true
	}
	return ph.fallback, ph.code, false
}

var (
	inFieldRe   = re(`^In field "([^"]*)": `)
	inElementRe = re(`^In element #\d+: `)
	problems    = []struct {
		re  *regexp.Regexp
		msg string
	}{
		{re(`^Unknown field\.`), "未知字段"},
		{re(`^Expected "([^"]*)!", found null`), "不能为 null"},
		{re(`^Expected non-null value, found null`), "不能为 null"},
		{re(`^Expected "([^"]*)", found not an object`), "应为 ${1} 对象"},
		{re(`^Expected type "([^"]*)"`), "应为 ${1} 类型"},
	}
)

// valueProblem words the first problem graphql-go lists under an invalid value, as
// " (path: problem)", or "" when it is not one it knows. The value itself is never repeated.
func valueProblem(msg string) string {
	_, rest, ok := strings.Cut(msg, "\n")
	if !ok {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(rest), "\n")
	var path []string
	for {
		if m := inFieldRe.FindStringSubmatch(line); m != nil {
			path, line = append(path, m[1]), line[len(m[0]):]
		} else if m := inElementRe.FindString(line); m != "" {
			line = line[len(m):]
		} else {
			break
		}
	}
	for _, p := range problems {
		if m := p.re.FindStringSubmatchIndex(line); m != nil {
			what := string(p.re.ExpandString(nil, p.msg, line, m))
			if len(path) == 0 {
				return " (" + what + ")"
			}
			return " (" + strings.Join(path, ".") + ": " + what + ")"
		}
	}
	return ""
}

// Bounds of the parts of an error other than its texts.
const (
	maxLocations = 4
	maxPath      = 64
	maxPathText  = 64
)

// bound caps the number of errors and every text in them (message, extensions, path).
func (c Config) bound(res *graphql.Result) *graphql.Result {
	if res == nil || len(res.Errors) == 0 {
		return res
	}
	errs, more := res.Errors, 0
	if len(errs) > c.MaxErrors {
		errs, more = errs[:c.MaxErrors], len(errs)-c.MaxErrors
	}
	out := make([]gqlerrors.FormattedError, 0, len(errs)+1)
	for _, e := range errs {
		e.Message = capText(e.Message, c.MaxErrorText)
		if len(e.Locations) > maxLocations {
			e.Locations = e.Locations[:maxLocations]
		}
		if len(e.Path) > 0 {
			path := make([]any, 0, min(len(e.Path), maxPath))
			for _, p := range e.Path[:min(len(e.Path), maxPath)] {
				if s, ok := p.(string); ok {
					p = capText(s, maxPathText)
				}
				path = append(path, p)
			}
			e.Path = path
		}
		if e.Extensions != nil {
			e.Extensions = capValue(e.Extensions, c.MaxErrorText, 0).(map[string]any)
		}
		out = append(out, e)
	}
	if more > 0 {
		out = append(out, gqlerrors.FormattedError{Message: fmt.Sprintf("另有 %d 个错误未列出", more)})
	}
	res.Errors = out
	return res
}

// capValue caps the strings in an extension value and how far it nests and spreads.
func capValue(v any, budget, depth int) any {
	switch x := v.(type) {
	case string:
		return capText(x, budget)
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if len(out) == 8 || depth > 2 {
				break
			}
			out[capText(k, maxPathText)] = capValue(e, budget, depth+1)
		}
		return out
	case []any:
		out := []any{}
		for _, e := range x[:min(len(x), 8)] {
			if depth > 2 {
				break
			}
			out = append(out, capValue(e, budget, depth+1))
		}
		return out
	case bool, int, int64, float64, nil:
		return x
	default:
		return capText(fmt.Sprint(x), budget)
	}
}

// capText cuts s so that it takes at most budget bytes once written as JSON (escapes included),
// marking a cut with "…".
func capText(s string, budget int) string {
	const mark = "…"
	total := 0
	for _, r := range s {
		total += jsonWidth(r)
	}
	if total <= budget {
		return s
	}
	used := 0
	for i, r := range s {
		w := jsonWidth(r)
		if used+w > budget-len(mark) {
			return s[:i] + mark
		}
		used += w
	}
	return s
}

// jsonWidth is how many bytes encoding/json writes for one rune, HTML escaping included.
func jsonWidth(r rune) int {
	switch {
	case r == utf8.RuneError, r < 0x20, r == '<', r == '>', r == '&', r == '\u2028', r == '\u2029':
		return 6
	case r == '"', r == '\\':
		return 2
	default:
		return utf8.RuneLen(r)
	}
}
