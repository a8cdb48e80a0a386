package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/cqeco/ecolake/internal/app"
)

// `ecolake config check`: the configuration file and environment serve would start with, checked
// without opening anything.

func init() {
	register(&command{name: "config check", summary: "检查配置文件与环境变量 (按 serve 的选项, 不打开数据目录)",
		args: []string{"[配置文件]"}, lake: true, ownConfig: true, setup: setupConfigCheck,
		detail: "配置文件为参数给出的文件, 否则为 --config 或环境变量 ECOLAKE_CONFIG 给出的文件。\n" +
			"逐项报告: TOML 语法错误及其行号; 未知的配置项及最接近的有效配置项; 无效的取值及原因; 最后检查整体配置。\n" +
			"也接受 serve 的全部选项, 以检查加上这些选项后的配置。退出码: 0 配置有效 (显示生效的配置, 密钥显示为 [redacted]), 2 配置有误。"})
}

func setupConfigCheck(fs *flag.FlagSet, cfg *app.Config) runFunc {
	setupServe(fs, cfg) // the same flags as serve, filled the same way; serve's run is not used
	return func(_ context.Context, pos []string, out io.Writer, _ *slog.Logger) int {
		path := arg(pos, 0)
		if path == "" {
			path = configPath(fs, os.LookupEnv)
		}
		l, errs := applyConfig(fs, path, os.LookupEnv)
		if len(errs) == 0 {
			if err := cfg.Validate(); err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					errs = append(errs, problem{where: "整体配置", msg: line})
				}
			}
		}
		if len(errs) > 0 {
			fmt.Fprintf(out, "配置有误 (%d 处):\n", len(errs))
			for _, e := range errs {
				fmt.Fprintf(out, "  %s\n", e)
			}
			return app.ExitFailed
		}
		printEffective(out, fs, l)
		return app.ExitOK
	}
}

// printEffective is config check's summary: what is not the default, and where it came from.
func printEffective(out io.Writer, fs *flag.FlagSet, l *layers) {
	if l.file != "" {
		fmt.Fprintf(out, "配置有效 (serve): 配置文件 %s\n", l.file)
	} else {
		fmt.Fprintln(out, "配置有效 (serve): 未使用配置文件, 只有默认值、环境变量与命令行")
	}
	var set []string
	defaults := 0
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := l.origin[f.Name]; ok && f.Name != "config" {
			set = append(set, f.Name)
		} else if f.Name != "config" {
			defaults++
		}
	})
	sort.Strings(set)
	if len(set) > 0 {
		fmt.Fprintln(out, "生效的配置 (默认值以外):")
	}
	for _, name := range set {
		f := fs.Lookup(name)
		v := f.Value.String()
		if raw, ok := l.raw[name]; ok {
			v = strings.Join(raw, ", ")
		} else if v == "" {
			v = "(已设置)"
		}
		fmt.Fprintf(out, "  %-22s = %s    (%s)\n", name, shown(name, v), l.origin[name])
	}
	fmt.Fprintf(out, "其余 %d 项为默认值 (ecolake help serve 列出全部选项)。\n", defaults)
	for _, name := range set {
		if isSecret(name) && strings.HasPrefix(l.origin[name], "配置文件") {
			fmt.Fprintf(out, "提示: 密钥 %s 写在配置文件中, 建议改用环境变量 %s。\n", name, envName(name))
		}
	}
}
