package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// The flags every command takes besides its own: the configuration file and the logs.

// choice is a flag whose value is one of a few words.
type choice struct {
	allowed []string
	v       string
}

func (c *choice) String() string { return c.v }

func (c *choice) Set(v string) error {
	for _, a := range c.allowed {
		if strings.EqualFold(v, a) {
			c.v = a
			return nil
		}
	}
	return fmt.Errorf("应为 %s 之一", strings.Join(c.allowed, "、"))
}

// commonFlags declares --config, --log-format and --log-level.
func commonFlags(fs *flag.FlagSet) {
	fs.String("config", "", "配置`文件` (TOML, 键即选项名, 示例见 examples/ecolake.toml; 环境变量 ECOLAKE_CONFIG)。"+
		"优先级: 命令行 > 环境变量 ECOLAKE_<选项名> > 配置文件 > 默认值")
	fs.Var(&choice{allowed: []string{"text", "json"}, v: "text"}, "log-format", "日志`格式`: text 或 json (写到标准错误)")
	fs.Var(&choice{allowed: []string{"debug", "info", "warn", "error"}}, "log-level",
		"日志`级别`: debug、info、warn 或 error (默认: serve、ingest、gc 等为 info, 其余为 warn)")
}

// newLogger is the logger of a command, as its --log-format and --log-level ask; verbose
// commands log at info unless told otherwise, the others at warn since they say what they did.
func newLogger(w io.Writer, fs *flag.FlagSet, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	if f := fs.Lookup("log-level"); f != nil && f.Value.String() != "" {
		_ = level.UnmarshalText([]byte(f.Value.String())) // one of the four names, checked by choice
	}
	opts := &slog.HandlerOptions{Level: level}
	if f := fs.Lookup("log-format"); f != nil && f.Value.String() == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
