package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cqeco/ecolake/schemas"
)

// maxLimitsFile bounds a role limits file: a few lines per role.
const maxLimitsFile = 64 << 10

// limitKeys are the keys of one role's object in a role limits file, with what each sets.
var limitKeys = map[string]func(*Limits, json.RawMessage) error{
	"max_limit":                intKey(func(l *Limits) *int { return &l.MaxLimit }),
	"max_rows_per_request":     intKey(func(l *Limits) *int { return &l.MaxRowsPerRequest }),
	"max_depth":                intKey(func(l *Limits) *int { return &l.MaxDepth }),
	"max_fields":               intKey(func(l *Limits) *int { return &l.MaxFields }),
	"max_aliases":              intKey(func(l *Limits) *int { return &l.MaxAliases }),
	"max_document_bytes":       intKey(func(l *Limits) *int { return &l.MaxDocumentBytes }),
	"max_variable_bytes":       intKey(func(l *Limits) *int { return &l.MaxVariableBytes }),
	"max_introspection_values": intKey(func(l *Limits) *int { return &l.MaxIntrospectionValues }),
	"timeout": func(l *Limits, v json.RawMessage) error {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("应为时长文字, 如 \"10s\" 或 \"2m\"")
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q 不是正的时长, 应如 \"10s\" 或 \"2m\"", s)
		}
		l.Timeout = d
		return nil
	},
}

func intKey(field func(*Limits) *int) func(*Limits, json.RawMessage) error {
	return func(l *Limits, v json.RawMessage) error {
		var n int
		if err := json.Unmarshal(v, &n); err != nil || n <= 0 {
			return fmt.Errorf("应为正整数, 而不是 %s", capText(string(v), 40))
		}
		*field(l) = n
		return nil
	}
}

// ParseRoleLimits reads a role limits file: a JSON object with a role (a code of the roles code
// list) for each key and that role's limits as an object, for example
//
//	{"scene": {"max_limit": 2000, "timeout": "10s"}, "district": {"max_rows_per_request": 5000}}
//
// Keys are those of limitKeys; a limit left out keeps the service's. Every problem is reported
// with the role and key it is in, in Chinese.
func ParseRoleLimits(r io.Reader) (map[string]Limits, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxLimitsFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxLimitsFile {
		return nil, fmt.Errorf("角色限额文件超过 %d 字节: %w", maxLimitsFile, ErrInvalid)
	}
	var roles map[string]map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&roles); err != nil {
		return nil, fmt.Errorf("角色限额文件应为 JSON 对象 {\"角色\": {\"限额\": 值}}: %v: %w", err, ErrInvalid)
	}
	out := map[string]Limits{}
	for role, keys := range roles {
		if !schemas.Roles.Has(role) {
			return nil, fmt.Errorf("角色限额文件: 未知角色 %q, 可用的角色: %s: %w", capText(role, 40), schemas.Roles.Allowed(), ErrInvalid)
		}
		var l Limits
		for key, v := range keys {
			set, ok := limitKeys[key]
			if !ok {
				known := make([]string, 0, len(limitKeys))
				for k := range limitKeys {
					known = append(known, k)
				}
				slices.Sort(known)
				return nil, fmt.Errorf("角色限额文件: 角色 %s 的未知限额 %q, 可用的限额: %s: %w", role, capText(key, 40), strings.Join(known, ", "), ErrInvalid)
			}
			if err := set(&l, v); err != nil {
				return nil, fmt.Errorf("角色限额文件: 角色 %s 的 %s: %v: %w", role, key, err, ErrInvalid)
			}
		}
		out[role] = l
	}
	return out, nil
}
