package rest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/cqeco/ecolake/schemas"
)

// jsonPath is a path into a JSON document in the subset stewards write — $.a.b[0].c, a.b.0,
// $['key.with.dots'] — compiled to a gjson path with every key escaped, so that gjson's own
// syntax (wildcards, queries, modifiers) never applies to a key a steward wrote.
type jsonPath struct {
	text string // as written, for messages
	g    string // the gjson path; "" is the document itself
}

// parsePath compiles a path; the error is Chinese, for the field's problem.
func parsePath(s string) (jsonPath, error) {
	s = strings.TrimSpace(s)
	rest, rooted := strings.CutPrefix(s, "$")
	var comps []string
	for first := true; rest != ""; first = false {
		var comp string
		var err error
		switch {
		case rest[0] == '.':
			comp, rest = name(rest[1:])
			if comp == "" {
				return jsonPath{}, fmt.Errorf("“%s”中有空的键", schemas.Clip(s, 48))
			}
		case rest[0] == '[':
			comp, rest, err = bracket(rest)
			if err != nil {
				return jsonPath{}, fmt.Errorf("“%s”中%s", schemas.Clip(s, 48), err)
			}
		case first && !rooted:
			comp, rest = name(rest)
		default:
			return jsonPath{}, fmt.Errorf("“%s”中 $ 后应为 . 或 [", schemas.Clip(s, 48))
		}
		comps = append(comps, comp)
	}
	if !rooted && len(comps) == 0 {
		return jsonPath{}, fmt.Errorf("路径为空")
	}
	return jsonPath{text: s, g: strings.Join(comps, ".")}, nil
}

// name reads a key up to the next '.' or '[' and returns it escaped for gjson.
func name(s string) (comp, rest string) {
	i := strings.IndexAny(s, ".[")
	if i < 0 {
		i = len(s)
	}
	return gjson.Escape(s[:i]), s[i:]
}

// bracket reads [n], ['key'] or ["key"] at the start of s.
func bracket(s string) (comp, rest string, err error) {
	if len(s) > 1 && (s[1] == '\'' || s[1] == '"') {
		end := strings.IndexByte(s[2:], s[1])
		if end < 0 || !strings.HasPrefix(s[2+end+1:], "]") {
			return "", "", fmt.Errorf("引号或方括号未闭合")
		}
		return gjson.Escape(s[2 : 2+end]), s[2+end+2:], nil
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return "", "", fmt.Errorf("方括号未闭合")
	}
	if _, err := strconv.ParseUint(s[1:end], 10, 31); err != nil {
		return "", "", fmt.Errorf("[%s] 不是数组下标", schemas.Clip(s[1:end], 16))
	}
	return s[1:end], s[end+1:], nil
}

// get returns the value at p in r.
func (p jsonPath) get(r gjson.Result) gjson.Result {
	if p.g == "" {
		return r
	}
	return r.Get(p.g)
}

// render is a JSON value as text the entry's items parse: strings as written (a time with an
// offset as its wall clock), numbers in their JSON text so no digit is lost to a float, null and
// missing values empty, objects and arrays as their JSON.
func render(v gjson.Result) string {
	switch v.Type {
	case gjson.String:
		return wallClock(v.Str)
	case gjson.Number, gjson.JSON:
		return v.Raw
	case gjson.True:
		return "true"
	case gjson.False:
		return "false"
	}
	return ""
}

// markText is a watermark value as the source wrote it: what Watermark returns, so that the next
// pull sends the server its own form (with its offset) in watermark_param.
func markText(v gjson.Result) string {
	if v.Type == gjson.String {
		return v.Str
	}
	return render(v)
}

// wallClock renders an RFC 3339 time with an offset as the wall clock written
// ("2024-05-07T08:00:00+08:00" → "2024-05-07 08:00:00"), the bureau's times being read as
// written; any other text is returned as it is.
func wallClock(s string) string {
	n := len(s)
	if n < 20 || n > 35 || s[4] != '-' || s[7] != '-' || s[13] != ':' || (s[10] != 'T' && s[10] != ' ') {
		return s
	}
	if s[n-1] != 'Z' && !(n >= 25 && (s[n-6] == '+' || s[n-6] == '-') && s[n-3] == ':') {
		return s
	}
	t, err := time.Parse(time.RFC3339Nano, s[:10]+"T"+s[11:])
	if err != nil {
		return s
	}
	return t.Format("2006-01-02 15:04:05.999999999")
}

// markKey is a watermark value and what it compares as.
type markKey struct {
	text string
	kind int // keyText, keyInt or keyTime
	n    int64
	at   time.Time
}

const (
	keyText = iota
	keyInt
	keyTime
)

// keyOf reads a watermark value; rendered is its text as rendered (a wall clock parses fast).
func keyOf(text, rendered string) markKey {
	k := markKey{text: text}
	if n, err := strconv.ParseInt(rendered, 10, 64); err == nil {
		k.kind, k.n = keyInt, n
	} else if at, err := schemas.ParseTimestamp(rendered); err == nil {
		k.kind, k.at = keyTime, at
	}
	return k
}

// cmp orders watermark values: as times when both are times, as integers (a version number, an
// id) when both are integers, as text otherwise.
func (a markKey) cmp(b markKey) int {
	switch {
	case a.kind == keyTime && b.kind == keyTime:
		return a.at.Compare(b.at)
	case a.kind == keyInt && b.kind == keyInt:
		switch {
		case a.n < b.n:
			return -1
		case a.n > b.n:
			return 1
		}
		return 0
	}
	return strings.Compare(a.text, b.text)
}
