package openlineage

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Bounds on incoming events, checked before anything else reads them. Real events are a few
// kilobytes and a handful of levels deep; a schema facet of nested structs adds a few more.
const (
	MaxEventBytes = 4 << 20
	MaxDepth      = 64
)

// EventKind is one of the three events the 2-0-2 specification defines.
type EventKind int

const (
	KindRun EventKind = iota
	KindJob
	KindDataset
)

func (k EventKind) String() string {
	switch k {
	case KindJob:
		return "JobEvent"
	case KindDataset:
		return "DatasetEvent"
	}
	return "RunEvent"
}

// Parse reads one RunEvent: it bounds the input, validates it against the RunEvent definition of
// the embedded 2-0-2 schema and each facet we hold a schema for, then decodes it. An event that
// breaks the specification yields a *ValidationError (errors.Is ErrInvalid); oversize, too deep
// and malformed input yield ErrTooLarge, ErrTooDeep and ErrMalformed.
func Parse(data []byte) (*RunEvent, error) {
	doc, err := decode(data)
	if err != nil {
		return nil, err
	}
	sp, err := loadSpec()
	if err != nil {
		return nil, err
	}
	if probs := sp.check(doc, KindRun); len(probs) > 0 {
		return nil, &ValidationError{Problems: probs}
	}
	ev := new(RunEvent)
	if err := json.Unmarshal(data, ev); err != nil {
		// The schema admits it but our types cannot hold it. Facets never get here (one that does
		// not fit stays raw), which leaves the time.
		p := Problem{Message: "事件符合规范，但无法读取"}
		if errors.Is(err, errEventTime) {
			p = Problem{Pointer: "/eventTime", Message: "日期时间无法表示"}
		}
		return nil, &ValidationError{Problems: []Problem{p}}
	}
	// Go reads member names without regard to case ("fACets" fills Facets) where the schema,
	// rightly, does not: what was read is checked again as it will be kept and sent on.
	if probs := recheck(sp, ev); len(probs) > 0 {
		return nil, &ValidationError{Problems: append([]Problem{{Message: "属性名的大小写须与规范一致；按规范名称读取后："}}, probs...)}
	}
	return ev, nil
}

// recheck validates ev as marshalled: the problems of what Parse would keep.
func recheck(sp *compiledSpec, ev *RunEvent) []Problem {
	b, err := Marshal(ev)
	if err != nil {
		return []Problem{{Message: "事件符合规范，但无法读取"}}
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return []Problem{{Message: "事件符合规范，但无法读取"}}
	}
	return sp.check(doc, KindRun)
}

// Validate checks any event the top-level schema admits (RunEvent, JobEvent or DatasetEvent) and
// says which it is. Problems are reported against the kind the event's shape suggests — run
// present: RunEvent; else job: JobEvent; else dataset: DatasetEvent — so that their pointers are
// precise rather than the union of three failed alternatives.
func Validate(data []byte) (EventKind, error) {
	doc, err := decode(data)
	if err != nil {
		return KindRun, err
	}
	sp, err := loadSpec()
	if err != nil {
		return KindRun, err
	}
	k := guessKind(doc)
	if probs := sp.check(doc, k); len(probs) > 0 {
		return k, &ValidationError{Problems: probs}
	}
	if sp.top.Validate(doc) != nil { // oneOf: a job and a dataset without a run fit two kinds
		return k, &ValidationError{Problems: []Problem{{Message: "事件同时符合 RunEvent、JobEvent、DatasetEvent 中的多种定义，规范要求恰好符合一种"}}}
	}
	return k, nil
}

func guessKind(doc any) EventKind {
	m, _ := doc.(map[string]any)
	_, run := m["run"]
	_, job := m["job"]
	_, ds := m["dataset"]
	switch {
	case !run && job:
		return KindJob
	case !run && !job && ds:
		return KindDataset
	}
	return KindRun
}

// decode bounds the input and reads it as the validator wants it (numbers kept exact).
func decode(data []byte) (any, error) {
	if len(data) > MaxEventBytes {
		return nil, fmt.Errorf("%w：%d 字节，上限 %d 字节", ErrTooLarge, len(data), MaxEventBytes)
	}
	if err := checkDepth(data); err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%w（第 %d 字节附近）", ErrMalformed, se.Offset)
		}
		return nil, ErrMalformed
	}
	return doc, nil
}

// checkDepth refuses input whose objects and arrays nest deeper than MaxDepth, without decoding
// it. Malformed input is left for the decoder to refuse.
func checkDepth(data []byte) error {
	depth, inStr, esc := 0, false, false
	for _, c := range data {
		switch {
		case esc:
			esc = false
		case inStr:
			switch c {
			case '\\':
				esc = true
			case '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			if depth++; depth > MaxDepth {
				return fmt.Errorf("%w：超过 %d 层", ErrTooDeep, MaxDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// check validates doc as an event of kind k, then each facet with a schema of its own, and
// returns the problems sorted by pointer.
func (sp *compiledSpec) check(doc any, k EventKind) []Problem {
	var probs []Problem
	collect(sp.events[k].Validate(doc), nil, &probs)
	m, _ := doc.(map[string]any)
	visit := func(parent any, where []string, key string, fk facetKind) {
		facets, _ := field(parent, key).(map[string]any)
		for _, name := range sortedKeys(facets) {
			f := sp.facets[fk][name]
			if _, isObj := facets[name].(map[string]any); f == nil || !isObj {
				continue // the core schema already holds custom facets and non-objects to BaseFacet
			}
			collect(f.schema.Validate(facets[name]), append(slices.Clone(where), key, name), &probs)
		}
	}
	if k == KindDataset {
		visit(m["dataset"], []string{"dataset"}, "facets", datasetFacet)
	} else {
		if k == KindRun {
			visit(m["run"], []string{"run"}, "facets", runFacet)
		}
		visit(m["job"], []string{"job"}, "facets", jobFacet)
		for _, side := range []struct {
			key, own string
			kind     facetKind
		}{{"inputs", "inputFacets", inputFacet}, {"outputs", "outputFacets", outputFacet}} {
			list, _ := m[side.key].([]any)
			for i, ds := range list {
				where := []string{side.key, fmt.Sprint(i)}
				visit(ds, where, "facets", datasetFacet)
				visit(ds, where, side.own, side.kind)
			}
		}
	}
	slices.SortFunc(probs, func(a, b Problem) int {
		return cmp.Or(strings.Compare(a.Pointer, b.Pointer), strings.Compare(a.Message, b.Message))
	})
	return slices.Compact(probs)
}

func field(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// collect turns the validator's tree of errors into problems at the leaves; prefix locates the
// validated value within the event.
func collect(err error, prefix []string, out *[]Problem) {
	if err == nil {
		return
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		*out = append(*out, Problem{Pointer: pointer(prefix), Message: "无法校验：" + err.Error()})
		return
	}
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		loc := append(slices.Clone(prefix), e.InstanceLocation...)
		*out = append(*out, problemsOf(loc, e.ErrorKind)...)
	}
	walk(ve)
}

var tokenEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// pointer writes a JSON pointer (RFC 6901) from unescaped reference tokens.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(tokenEscaper.Replace(t))
	}
	return b.String()
}
