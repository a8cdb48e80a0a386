package openlineage

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// english renders the validator's own text for the rare keywords without a Chinese message here.
var english = message.NewPrinter(language.English)

var typeNames = map[string]string{
	"object":  "对象",
	"array":   "数组",
	"string":  "字符串",
	"integer": "整数",
	"number":  "数值",
	"boolean": "布尔值",
	"null":    "null",
}

var formatNames = map[string]string{
	"uuid":      " UUID",
	"date-time": " RFC 3339 日期时间（如 2024-05-01T08:00:00Z）",
	"uri":       "绝对 URI",
}

// problemsOf says in Chinese what one leaf error of the validator means. A missing property is
// reported at the property's own pointer, one problem each, so that callers can point at it.
func problemsOf(loc []string, k jsonschema.ErrorKind) []Problem {
	at := pointer(loc)
	switch k := k.(type) {
	case *kind.Required:
		out := make([]Problem, 0, len(k.Missing))
		for _, name := range k.Missing {
			out = append(out, Problem{Pointer: pointer(append(loc[:len(loc):len(loc)], name)), Message: "缺少必需的属性 " + name})
		}
		return out
	case *kind.Type:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = chineseType(w)
		}
		return []Problem{{at, fmt.Sprintf("类型应为%s，实际为%s", strings.Join(want, "或"), chineseType(k.Got))}}
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = show(w)
		}
		return []Problem{{at, fmt.Sprintf("取值应为 %s 之一，实际为 %s", strings.Join(want, "、"), show(k.Got))}}
	case *kind.Const:
		return []Problem{{at, fmt.Sprintf("取值应为 %s，实际为 %s", show(k.Want), show(k.Got))}}
	case *kind.Format:
		name, ok := formatNames[k.Want]
		if !ok {
			name = "格式 " + k.Want
		}
		return []Problem{{at, fmt.Sprintf("%s 不是合法的%s", show(k.Got), name)}}
	case *kind.Minimum:
		return []Problem{{at, fmt.Sprintf("不应小于 %s", k.Want.RatString())}}
	case *kind.AdditionalProperties:
		return []Problem{{at, "不允许的属性：" + strings.Join(k.Properties, "、")}}
	case *kind.Not:
		return []Problem{{at, "包含了此类事件不允许的属性组合"}}
	case *kind.FalseSchema:
		return []Problem{{at, "此处不允许有值"}}
	}
	return []Problem{{at, "不符合规范：" + k.LocalizedString(english)}}
}

func chineseType(t string) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return t
}

// show renders a value from the event for a message, clipped: it comes from outside.
func show(v any) string {
	var s string
	switch v := v.(type) {
	case string:
		r := []rune(v)
		if len(r) > 40 {
			return strconv.Quote(string(r[:40])) + "…"
		}
		return strconv.Quote(v)
	case map[string]any:
		return "对象"
	case []any:
		return "数组"
	case nil:
		return "null"
	default:
		s = fmt.Sprint(v)
	}
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
