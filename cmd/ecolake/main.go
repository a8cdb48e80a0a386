// Command ecolake runs the bureau's data resource directory, lake and governed query service
// (`ecolake serve`) and the offline commands of its operators (init, ingest, gc, principal, token,
// entry). It only parses the command line; internal/app does the work.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/cqeco/ecolake/internal/app"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.0" ./cmd/ecolake.
var version string

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches one command line and returns the exit code: 0 done (help and version included),
// 1 done with rejected rows, 2 nothing done (bad arguments, unknown subcommand, failure).
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return app.ExitFailed
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return help(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "ecolake", app.Version(version))
		return app.ExitOK
	}
	cmd, rest, code := find(args, stdout, stderr)
	if cmd == nil {
		return code
	}
	cfg := app.DefaultConfig()
	fs, exec := flags(cmd, &cfg)
	pos, err := parseInterspersed(fs, rest)
	switch {
	case errors.Is(err, flag.ErrHelp):
		commandHelp(stdout, cmd, fs)
		return app.ExitOK
	case err != nil:
		fmt.Fprintf(stderr, "错误: %s\n运行 ecolake help %s 查看用法\n", flagError(fs, err), cmd.name)
		return app.ExitFailed
	case len(pos) > len(cmd.args):
		fmt.Fprintf(stderr, "错误: 多余的参数 %q\n运行 ecolake help %s 查看用法\n", strings.Join(pos[len(cmd.args):], " "), cmd.name)
		return app.ExitFailed
	}
	if !cmd.ownConfig { // config check reads the file itself, to report on it
		if _, errs := applyConfig(fs, configPath(fs, os.LookupEnv), os.LookupEnv); len(errs) > 0 {
			fmt.Fprintln(stderr, "配置有误:")
			for _, e := range errs {
				fmt.Fprintf(stderr, "  %s\n", e)
			}
			fmt.Fprintln(stderr, "运行 ecolake config check 检查配置")
			return app.ExitFailed
		}
	}
	log := newLogger(stderr, fs, cmd.verbose)
	ctx, stop := signalContext(context.Background(), log, os.Exit)
	defer stop()
	return exec(ctx, pos, stdout, log)
}

// ExitForced is the exit code after a second SIGINT or SIGTERM cut the shutdown short: 128 plus
// the signal's number, as a shell reports a process killed by it (130 for SIGINT, 143 for
// SIGTERM).
func exitForced(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return app.ExitFailed
}

// signalContext is cancelled by the first SIGINT or SIGTERM, which starts a graceful shutdown
// (serve lets in-flight requests finish, up to 30 s); a second one calls exit at once, leaving
// whatever was in flight undone: the journal, fsync'd before every change, replays clean.
func signalContext(parent context.Context, log *slog.Logger, exit func(int)) (context.Context, func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return watchSignals(parent, ch, log, exit, func() { signal.Stop(ch) })
}

func watchSignals(parent context.Context, ch <-chan os.Signal, log *slog.Logger, exit func(int), release func()) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			log.Info("signal received: stopping; a second signal forces the exit", "signal", sig.String())
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-ch:
			log.Error("second signal: forced exit, in-flight work abandoned", "signal", sig.String(), "code", exitForced(sig))
			exit(exitForced(sig))
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			release()
			close(done)
			cancel()
		})
	}
}

// find resolves "serve" or "principal create" to its command and the arguments after it. When it
// returns nil it has printed why, and the exit code to use.
func find(args []string, stdout, stderr io.Writer) (*command, []string, int) {
	if c := lookup(args[0]); c != nil {
		return c, args[1:], 0
	}
	if !isGroup(args[0]) {
		fmt.Fprintf(stderr, "未知的子命令 %q\n\n", args[0])
		usage(stderr)
		return nil, nil, app.ExitFailed
	}
	// Walk down the groups: "catalog business-item put" is a command of the group
	// "catalog business-item" of the group "catalog".
	group, rest := args[0], args[1:]
	for {
		if len(rest) == 0 || rest[0] == "-h" || rest[0] == "--help" || rest[0] == "-help" {
			w, code := stderr, app.ExitFailed
			if len(rest) > 0 {
				w, code = stdout, app.ExitOK
			} else {
				fmt.Fprintf(stderr, "缺少子命令: ecolake %s 需要以下之一\n\n", group)
			}
			groupHelp(w, group)
			return nil, nil, code
		}
		name := group + " " + rest[0]
		if c := lookup(name); c != nil {
			return c, rest[1:], 0
		}
		if !isGroup(name) {
			fmt.Fprintf(stderr, "未知的子命令 %q\n\n", name)
			groupHelp(stderr, group)
			return nil, nil, app.ExitFailed
		}
		group, rest = name, rest[1:]
	}
}

// help answers `ecolake help [子命令]`.
func help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return app.ExitOK
	}
	name := strings.Join(args, " ")
	if name == "help" || name == "version" {
		usage(stdout)
		return app.ExitOK
	}
	c := lookup(name)
	if c == nil && isGroup(name) {
		groupHelp(stdout, name)
		return app.ExitOK
	}
	if c == nil {
		fmt.Fprintf(stderr, "未知的子命令 %q\n\n", name)
		usage(stderr)
		return app.ExitFailed
	}
	cfg := app.DefaultConfig()
	fs, _ := flags(c, &cfg)
	commandHelp(stdout, c, fs)
	return app.ExitOK
}

// flags declares every flag of c on a new flag set, filling cfg, and returns the set and the
// command's run function.
func flags(c *command, cfg *app.Config) (*flag.FlagSet, runFunc) {
	fs := flag.NewFlagSet("ecolake "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed by run, in Chinese
	commonFlags(fs)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "数据`目录`: 目录库日志、本地数据湖与缓存都在其下")
	fs.StringVar(&cfg.AuditDir, "audit-dir", cfg.AuditDir,
		"查询审计记录的`目录` (空为 数据目录/audit); 建议放在单独的磁盘上: 审计写不进时查询一律拒绝")
	fs.StringVar(&cfg.CodeLists, "codelists", cfg.CodeLists,
		"替换代码表的`目录`: 其中的 <代码表名>.csv 取代内置的同名代码表 (环境变量 ECOLAKE_CODELISTS)")
	if c.lake {
		lakeFlags(fs, cfg)
	}
	return fs, c.setup(fs, cfg)
}

func usage(w io.Writer) {
	fmt.Fprint(w, "ecolake: 生态环境数据资源一本账 (目录、数据湖与受控查询服务)\n\n用法:\n  ecolake <子命令> [选项] [参数]\n\n子命令:\n")
	shown := map[string]bool{}
	for _, c := range commands {
		group, _, _ := strings.Cut(c.name, " ")
		if sum, ok := groupSummaries[group]; ok {
			if !shown[group] {
				fmt.Fprintf(w, "  %-19s %s\n", group+" …", sum)
			}
			shown[group] = true
			continue
		}
		fmt.Fprintf(w, "  %-19s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-19s %s\n  %-19s %s\n", "version", "显示版本", "help", "显示帮助; ecolake help <子命令> 列出该子命令的全部选项")
	fmt.Fprint(w, "\n除 serve 外的子命令都直接操作数据目录, 该目录的服务运行时请改用 HTTP 接口。\n"+
		"运行 ecolake help <子命令> 或 ecolake <子命令> --help 查看子命令的选项。\n")
}

func groupHelp(w io.Writer, group string) {
	fmt.Fprintf(w, "用法: ecolake %s <子命令> [选项]\n\n", group)
	width := 19
	for _, c := range commands {
		if strings.HasPrefix(c.name, group+" ") {
			width = max(width, len(c.name))
		}
	}
	for _, c := range commands {
		if strings.HasPrefix(c.name, group+" ") {
			fmt.Fprintf(w, "  %-*s %s\n", width, c.name, c.summary)
		}
	}
	fmt.Fprintf(w, "\n运行 ecolake help %s <子命令> 查看子命令的选项。\n", group)
}

// commandHelp prints a command's description and every flag with its Chinese usage.
func commandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "ecolake %s: %s\n\n用法:\n  ecolake %s [选项]", c.name, c.summary, c.name)
	for _, a := range c.args {
		fmt.Fprintf(w, " %s", a)
	}
	fmt.Fprintln(w)
	if c.detail != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.detail))
	}
	fmt.Fprintln(w, "\n选项:")
	var flags []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f) })
	sort.SliceStable(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
	for _, f := range flags {
		name, text := flag.UnquoteUsage(f)
		if isBool(f) {
			name = ""
		} else if name == "value" || name == "string" || name == "duration" {
			name = "值"
		}
		fmt.Fprintf(w, "  --%s\n        %s", strings.TrimSpace(f.Name+" "+name), text)
		if d := f.DefValue; d != "" && d != "0" && d != "false" && d != "0s" && d != "[]" {
			fmt.Fprintf(w, " (默认 %s)", d)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "  -h, --help\n        显示本帮助")
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// parseInterspersed parses flags before and after positional arguments, so that
// `ecolake ingest submission.csv --entry 0201/000003` works; "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// flagError says in Chinese what the flag package found wrong.
func flagError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if m := badValueRE.FindStringSubmatch(msg); m != nil {
		reason := m[3]
		if f := fs.Lookup(m[2]); f != nil {
			reason = valueReason(f, errors.New(reason))
		}
		return fmt.Sprintf("选项 --%s 的取值 %s 无效: %s", m[2], m[1], reason)
	}
	for en, zh := range map[string]string{
		"flag provided but not defined: ": "未知的选项 ",
		"flag needs an argument: ":        "选项缺少取值: ",
	} {
		if rest, ok := strings.CutPrefix(msg, en); ok {
			return zh + rest
		}
	}
	return msg
}

var badValueRE = regexp.MustCompile(`^invalid (?:boolean )?value (".*") for (?:flag )?-(\S+): (.*)$`)
