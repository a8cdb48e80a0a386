package ingest

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cqeco/ecolake/schemas"
)

// A connector declares its configuration as a Spec: typed fields with defaults, descriptions and
// examples. The one spec drives validation (Resolve), the API's description of the connector and
// the generated reference documentation, so the three cannot drift apart.

// FieldType is the type of one configuration field.
type FieldType string

// Field types. A secret's value is stored but never logged or returned; a mapping pairs item
// field identifiers with paths into the source's records, one "field=path" per line or ';'.
const (
	TypeString   FieldType = "string"
	TypeInt      FieldType = "int"
	TypeBool     FieldType = "bool"
	TypeDuration FieldType = "duration"
	TypeURL      FieldType = "url"
	TypeEnum     FieldType = "enum"
	TypeSecret   FieldType = "secret"
	TypeMapping  FieldType = "mapping"
)

// SpecField is one configuration field of a connector.
type SpecField struct {
	Key         string    `json:"key"`
	Type        FieldType `json:"type"`
	Required    bool      `json:"required"`
	Default     string    `json:"default,omitempty"`
	Title       string    `json:"title"`       // Chinese, short
	Description string    `json:"description"` // Chinese
	Example     string    `json:"example,omitempty"`
	Enum        []string  `json:"enum,omitempty"` // the values of a TypeEnum field
	Min, Max    int64     `json:"-"`              // bounds of a TypeInt field when Max > 0
}

// Spec is a connector's kind and its configuration fields.
type Spec struct {
	Kind        string      `json:"kind"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Fields      []SpecField `json:"fields"`
}

// Field returns the field of key.
func (s *Spec) Field(key string) (SpecField, bool) {
	i := slices.IndexFunc(s.Fields, func(f SpecField) bool { return f.Key == key })
	if i < 0 {
		return SpecField{}, false
	}
	return s.Fields[i], true
}

// Bounds of a configuration: each value and the number of keys.
const (
	maxConfigValue = 8 << 10
	maxConfigKeys  = 64
)

// Resolve checks cfg against the spec and returns the settings with defaults filled in. Unknown
// keys, missing required fields and values that do not parse as their type are all reported at
// once, by field.
func (s *Spec) Resolve(cfg map[string]string) (Settings, error) {
	p := &schemas.InvalidError{Subject: "连接器 " + s.Kind + " 配置", Err: ErrInvalidConnector}
	add := func(field, format string, args ...any) {
		p.Problems = append(p.Problems, schemas.Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if len(cfg) > maxConfigKeys {
		add("config", "配置项共 %d 个，超过上限 %d 个", len(cfg), maxConfigKeys)
		return Settings{}, p
	}
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, ok := s.Field(k); !ok {
			add(schemas.Clip(k, 64), "不是连接器 %s 的配置项", s.Kind)
		}
	}
	vals := make(map[string]string, len(s.Fields))
	for _, f := range s.Fields {
		v, set := cfg[f.Key]
		if f.Type != TypeSecret {
			v = strings.TrimSpace(v) // a password may begin or end with a blank
		}
		if !set || strings.TrimSpace(v) == "" {
			if f.Required {
				add(f.Key, "必填（%s）", f.Title)
				continue
			}
			v = f.Default
		}
		if len(v) > maxConfigValue {
			add(f.Key, "长度 %d 字节，超过上限 %d 字节", len(v), maxConfigValue)
			continue
		}
		if v != "" {
			if msg := f.check(v); msg != "" {
				add(f.Key, "%s", msg)
				continue
			}
		}
		vals[f.Key] = v
	}
	if len(p.Problems) > 0 {
		return Settings{}, p
	}
	return Settings{kind: s.Kind, vals: vals}, nil
}

// check returns why v is not a value of f, "" when it is.
func (f SpecField) check(v string) string {
	switch f.Type {
	case TypeInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Sprintf("“%s”不是整数", schemas.Clip(v, 32))
		}
		if f.Max > 0 && (n < f.Min || n > f.Max) {
			return fmt.Sprintf("%d 超出范围 %d–%d", n, f.Min, f.Max)
		}
	case TypeBool:
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Sprintf("“%s”应为 true 或 false", schemas.Clip(v, 32))
		}
	case TypeDuration:
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			return fmt.Sprintf("“%s”不是时长（例如 30s、5m、2h）", schemas.Clip(v, 32))
		}
	case TypeURL:
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "应为 http:// 或 https:// 开头的完整地址"
		}
	case TypeEnum:
		if !slices.Contains(f.Enum, v) {
			return fmt.Sprintf("“%s”应为 %s 之一", schemas.Clip(v, 32), strings.Join(f.Enum, "、"))
		}
	case TypeMapping:
		if _, err := parseMapping(v); err != nil {
			return err.Error()
		}
	}
	return ""
}

// Settings are a resolved configuration: every field of the spec with its value or default.
type Settings struct {
	kind string
	vals map[string]string
}

// Format prints the settings' kind and keys, never their values: a secret is among them.
func (s Settings) Format(f fmt.State, _ rune) {
	keys := make([]string, 0, len(s.vals))
	for k := range s.vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Fprintf(f, "%s settings [%s]", s.kind, strings.Join(keys, " "))
}

// Kind is the connector kind the settings were resolved for.
func (s Settings) Kind() string { return s.kind }

// String returns a field's text ("" when unset).
func (s Settings) String(key string) string { return s.vals[key] }

// Int returns an int field (0 when unset); Resolve checked it parses.
func (s Settings) Int(key string) int64 {
	n, _ := strconv.ParseInt(s.vals[key], 10, 64)
	return n
}

// Bool returns a bool field (false when unset).
func (s Settings) Bool(key string) bool {
	b, _ := strconv.ParseBool(s.vals[key])
	return b
}

// Duration returns a duration field (0 when unset).
func (s Settings) Duration(key string) time.Duration {
	d, _ := time.ParseDuration(s.vals[key])
	return d
}

// Secret returns a secret field.
func (s Settings) Secret(key string) Secret { return Secret(s.vals[key]) }

// Mapping returns a mapping field's pairs in the order written.
func (s Settings) Mapping(key string) []FieldPath {
	m, _ := parseMapping(s.vals[key])
	return m
}

// Secret is a configuration value that prints as [redacted] in logs, errors and JSON; Reveal is
// the one way to its text.
type Secret string

func (s Secret) String() string { return redacted(s) }

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return redacted(s) }

// MarshalJSON keeps encoders from writing the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(redacted(s))), nil }

// MarshalText keeps slog and text encoders from writing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted(s)), nil }

// Reveal returns the secret's text, for the one place that sends it (an Authorization header).
func (s Secret) Reveal() string { return string(s) }

func redacted(s Secret) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// FieldPath pairs an item field identifier with the path of its value in a source record.
type FieldPath struct {
	Field string
	Path  string
}

// maxMappings bounds the pairs of one mapping: no entry has nearly as many items.
const maxMappings = MaxColumns

// parseMapping reads "field=path" pairs, one per line or separated by ';'.
func parseMapping(v string) ([]FieldPath, error) {
	var out []FieldPath
	seen := map[string]bool{}
	for i, part := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == ';' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		field, path, ok := strings.Cut(part, "=")
		field, path = strings.TrimSpace(field), strings.TrimSpace(path)
		switch {
		case !ok || field == "" || path == "":
			return nil, fmt.Errorf("第 %d 组“%s”应写作“信息项字段=路径”", i+1, schemas.Clip(part, 48))
		case seen[field]:
			return nil, fmt.Errorf("信息项字段“%s”映射了两次", schemas.Clip(field, 48))
		case len(out) == maxMappings:
			return nil, fmt.Errorf("映射超过 %d 组", maxMappings)
		}
		seen[field] = true
		out = append(out, FieldPath{Field: field, Path: path})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("映射为空，应至少有一组“信息项字段=路径”")
	}
	return out, nil
}
