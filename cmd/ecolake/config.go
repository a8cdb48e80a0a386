package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"
	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/cqeco/ecolake/internal/app"
)

// The configuration file and the environment are two more layers under the command line, filling
// the same flags through the flags' own parsers, so that every flag of every command has its key
// and its environment variable without anyone declaring them twice:
//
//	built-in default < configuration file < environment < command line
//
// A key of the file is a flag's long name ("s3-endpoint"); a table is a prefix joined with "-"
// (`[s3]` then `endpoint = …`, or `s3.endpoint = …`). The environment variable of a flag is
// ECOLAKE_ and its name in capitals with "_" for "-" (ECOLAKE_S3_SECRET_KEY). A flag takes its
// value from one layer only, the highest that has it, so that repeatable flags do not add up.

// envPrefix starts every flag's environment variable.
const envPrefix = "ECOLAKE_"

// envName is the environment variable of a flag: s3-secret-key → ECOLAKE_S3_SECRET_KEY.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// isSecret reports whether a flag holds a secret, whose value is shown as [redacted] wherever the
// configuration is printed. Secrets are known by their names, so that new ones need no list.
func isSecret(flagName string) bool {
	for _, s := range []string{"secret", "token", "password"} {
		if strings.Contains(flagName, s) {
			return true
		}
	}
	return false
}

const redacted = "[redacted]"

// setting is one key of the configuration file, flattened to the flag it fills.
type setting struct {
	name   string   // flag name: "s3-endpoint"
	key    string   // the key as the file spells it: "s3.endpoint"
	line   int      // line of the key in the file
	values []string // one value, or each element of an array (for repeatable flags)
}

// problem is one thing wrong with the configuration, said in Chinese with where it is.
type problem struct {
	where string // "配置文件 ecolake.toml 第 3 行 s3.endpont" or "环境变量 ECOLAKE_S3_SECURE"
	msg   string
}

func (p problem) Error() string { return p.where + ": " + p.msg }

// readConfigFile parses a TOML file into its settings, in the order of their lines.
func readConfigFile(path string) ([]setting, []error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, []error{problem{where: "配置文件 " + path, msg: "无法读取: " + readError(err)}}
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, []error{problem{where: fmt.Sprintf("配置文件 %s 第 %d 行第 %d 列", path, row, col),
				msg: "不是有效的 TOML: " + de.Error()}}
		}
		return nil, []error{problem{where: "配置文件 " + path, msg: "不是有效的 TOML: " + err.Error()}}
	}
	lines := keyLines(data)
	var out []setting
	var errs []error
	var walk func(path []string, v any)
	walk = func(keys []string, v any) {
		key := strings.Join(keys, ".")
		if m, ok := v.(map[string]any); ok {
			for k, sub := range m {
				walk(append(keys[:len(keys):len(keys)], k), sub)
			}
			return
		}
		s := setting{name: strings.Join(keys, "-"), key: key, line: lineOf(lines, keys)}
		vals, err := tomlValues(v)
		if err != nil {
			errs = append(errs, problem{where: fileWhere(path, s), msg: err.Error()})
			return
		}
		s.values = vals
		out = append(out, s)
	}
	walk(nil, doc)
	sort.SliceStable(out, func(i, j int) bool { return out[i].line < out[j].line })
	seen := map[string]setting{}
	for _, s := range out {
		if first, dup := seen[s.name]; dup {
			errs = append(errs, problem{where: fileWhere(path, s),
				msg: fmt.Sprintf("与第 %d 行的 %s 是同一个选项 --%s", first.line, first.key, s.name)})
			continue
		}
		seen[s.name] = s
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return out, errs
}

func fileWhere(path string, s setting) string {
	return fmt.Sprintf("配置文件 %s 第 %d 行 %s", path, s.line, s.key)
}

func readError(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "文件不存在"
	case errors.Is(err, os.ErrPermission):
		return "没有读取权限"
	}
	return err.Error()
}

// tomlValues turns a TOML value into the text a flag parses: arrays give one text per element.
func tomlValues(v any) ([]string, error) {
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, e := range list {
			s, err := tomlScalar(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := tomlScalar(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func tomlScalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	case fmt.Stringer: // local dates and times
		return x.String(), nil
	case []any, map[string]any, []map[string]any:
		return "", errors.New("选项的取值应为文本、数字、真假值或它们的数组, 不能是嵌套的数组或表")
	}
	return "", fmt.Errorf("不支持的取值类型 %T", v)
}

// keyLines maps every key of the document ("s3.endpoint", "s3") to the line it is written on.
// Keys inside inline tables are not listed; lineOf falls back to their table's line.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	keyOf := func(it unstable.Iterator) ([]string, int) {
		var parts []string
		line := 0
		for it.Next() {
			n := it.Node()
			if line == 0 {
				line = p.Shape(n.Raw).Start.Line
			}
			parts = append(parts, string(n.Data))
		}
		return parts, line
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			k, line := keyOf(e.Key())
			table = k
			lines[strings.Join(k, ".")] = line
		case unstable.KeyValue:
			k, line := keyOf(e.Key())
			full := append(append([]string{}, table...), k...)
			for i := len(table) + 1; i <= len(full); i++ {
				if _, ok := lines[strings.Join(full[:i], ".")]; !ok {
					lines[strings.Join(full[:i], ".")] = line
				}
			}
		}
	}
	return lines
}

func lineOf(lines map[string]int, keys []string) int {
	for i := len(keys); i > 0; i-- {
		if l, ok := lines[strings.Join(keys[:i], ".")]; ok {
			return l
		}
	}
	return 0
}

// knownFlags is the name of every flag of every command: a key of the configuration file must be
// one of them, and is ignored by the commands that do not have it.
func knownFlags() []string {
	seen := map[string]bool{}
	for _, c := range commands {
		cfg := app.DefaultConfig()
		fs, _ := flags(c, &cfg)
		fs.VisitAll(func(f *flag.Flag) { seen[f.Name] = true })
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// nearest is the known name closest to an unknown one, or "" when none is close enough to be
// what was meant.
func nearest(name string, known []string) string {
	best, bestD := "", 0
	for _, k := range known {
		d := levenshtein.ComputeDistance(name, k)
		if best == "" || d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || bestD > max(2, len(name)/4) {
		return ""
	}
	return best
}

// layers records where each flag took its value, for config check's summary.
type layers struct {
	file   string              // the configuration file read, "" for none
	origin map[string]string   // flag name → "配置文件 第 3 行", "环境变量 ECOLAKE_ADDR", "命令行"
	raw    map[string][]string // flag name → the texts given to it
}

// applyConfig fills the flags of fs not set on its command line from the configuration file at
// path ("" for none) and then from the environment (lookup is os.LookupEnv in production). It
// applies whatever is good and returns every problem found.
func applyConfig(fs *flag.FlagSet, path string, lookup func(string) (string, bool)) (*layers, []error) {
	l := &layers{file: path, origin: map[string]string{}, raw: map[string][]string{}}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		explicit[f.Name] = true
		l.origin[f.Name] = "命令行"
	})
	env := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" || explicit[f.Name] {
			return
		}
		if v, ok := lookup(envName(f.Name)); ok && v != "" {
			env[f.Name] = v
		}
	})
	var errs []error
	if path != "" {
		settings, perrs := readConfigFile(path)
		errs = append(errs, perrs...)
		known := knownFlags()
		isKnown := map[string]bool{}
		for _, k := range known {
			isKnown[k] = true
		}
		for _, s := range settings {
			where := fileWhere(path, s)
			switch {
			case s.name == "config":
				errs = append(errs, problem{where: where, msg: "配置文件中不能再指定配置文件"})
				continue
			case !isKnown[s.name]:
				msg := "未知的配置项 (没有子命令有选项 --" + s.name + ")"
				if n := nearest(s.name, known); n != "" {
					msg += fmt.Sprintf("; 是否应为 %s?", n)
				}
				errs = append(errs, problem{where: where, msg: msg})
				continue
			}
			f := fs.Lookup(s.name)
			if f == nil || explicit[s.name] {
				continue // another command's key, or the command line wins
			}
			if _, ok := env[s.name]; ok {
				continue
			}
			if err := setAll(fs, f, s.values); err != nil {
				errs = append(errs, problem{where: where, msg: err.Error()})
				continue
			}
			l.origin[s.name] = fmt.Sprintf("配置文件 第 %d 行", s.line)
			l.raw[s.name] = s.values
		}
	}
	names := make([]string, 0, len(env))
	for n := range env {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := fs.Lookup(n)
		if err := setAll(fs, f, []string{env[n]}); err != nil {
			errs = append(errs, problem{where: "环境变量 " + envName(n), msg: err.Error()})
			continue
		}
		l.origin[n] = "环境变量 " + envName(n)
		l.raw[n] = []string{env[n]}
	}
	return l, errs
}

// setAll gives a flag its values through its own parser, saying in Chinese what is wrong.
func setAll(fs *flag.FlagSet, f *flag.Flag, values []string) error {
	for _, v := range values {
		if err := fs.Set(f.Name, v); err != nil {
			return fmt.Errorf("取值 %q 无效: %s", shown(f.Name, v), valueReason(f, err))
		}
	}
	return nil
}

// shown is a flag's value as it may be printed: secrets are redacted.
func shown(flagName, v string) string {
	if isSecret(flagName) && v != "" {
		return redacted
	}
	return v
}

// valueReason says why a value is refused: the flag's own message (the Func flags speak Chinese),
// or, for the standard library's typed flags, which only say "parse error", what the flag wants.
func valueReason(f *flag.Flag, err error) string {
	msg := err.Error()
	if msg != "parse error" && msg != "value out of range" {
		return msg
	}
	if msg == "value out of range" {
		return "超出范围"
	}
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case bool:
			return "应为 true 或 false"
		case int, int64, uint, uint64:
			return "应为整数"
		case float64:
			return "应为数字"
		case time.Duration:
			return "应为时长, 如 90s、15m、1h"
		}
	}
	return "格式不正确"
}

// configPath is the configuration file a command reads: --config, else ECOLAKE_CONFIG.
func configPath(fs *flag.FlagSet, lookup func(string) (string, bool)) string {
	if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
		return f.Value.String()
	}
	v, _ := lookup(envName("config"))
	return v
}
