package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/cqeco/ecolake/internal/app"
)

// command is one subcommand: its flags are declared by setup, which returns the function that runs
// it with the positional arguments.
type command struct {
	name    string   // "serve", "principal create"
	summary string   // one line, Chinese
	detail  string   // more help text, Chinese
	args    []string // positional arguments, as shown in usage
	lake    bool     // takes the lake flags (S3 location and credentials)
	verbose bool     // logs at Info level (serve, ingest, gc)
	// ownConfig: the command reads the configuration file and environment itself (config check)
	ownConfig bool
	setup     func(fs *flag.FlagSet, cfg *app.Config) runFunc
}

type runFunc func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int

// commands in the order of the usage text.
var commands = []*command{
	{name: "serve", summary: "启动服务 (HTTP 接口与 GraphQL 查询)", lake: true, verbose: true, setup: setupServe,
		detail: "数据目录中还没有任何账号且未加 --demo 时, 首次启动会创建系统管理员 admin, 并在标准输出中显示一次它的令牌。"},
	{name: "init", summary: "初始化数据目录: 创建系统管理员 admin 并签发令牌", setup: setupInit,
		detail: "只能在还没有任何账号的数据目录上运行; 令牌只显示这一次。"},
	{name: "ingest", summary: "离线归集一个报送文件 (CSV 或 xlsx)", args: []string{"文件.csv 或 文件.xlsx"}, lake: true, verbose: true, setup: setupIngest,
		detail: "退出码: 0 全部入库, 1 已入库但有拒绝行, 2 未入库。"},
	{name: "gc", summary: "按快照保留策略使过期快照失效, 并清理无快照引用的文件", lake: true, verbose: true, setup: setupGC},
	{name: "principal create", summary: "创建账号 (之后用 token create 签发令牌)", setup: setupPrincipalCreate,
		detail: "角色: admin 系统管理员, steward 数据管理员, reviewer 审核员, manager 管理层, analyst 数据分析人员, scene 应用场景, district 区县生态环境局。\n" +
			"密级上限: GENERAL_1 … GENERAL_4, IMPORTANT, CORE (也可写中文名称, 如 一般数据3级)。"},
	{name: "principal list", summary: "列出账号", setup: noFlags(app.RunPrincipalList)},
	{name: "principal disable", summary: "停用账号 (它的所有令牌立即失效)", setup: setupPrincipalDisable},
	{name: "token create", summary: "为账号签发令牌 (令牌只显示一次)", setup: setupTokenCreate},
	{name: "token list", summary: "列出令牌 (不显示令牌本身)", setup: setupTokenList},
	{name: "token revoke", summary: "吊销令牌", setup: setupTokenRevoke},
	{name: "entry import", summary: "从 JSON 文件登记处室与目录 (示例见 examples/entry.json)", args: []string{"目录.json"}, setup: setupEntryImport,
		detail: "文件可以是一条目录对象、目录数组, 或 {\"departments\": [...], \"entries\": [...]}; 不认识的字段会被拒绝。\n" +
			"目录经审核流程登记: 新目录成为草稿, 已发布目录的修改成为变更申请, 都须提交审核并审核通过后生效; 任何一条有误则整批不导入。"},
}

// register adds the commands of a group kept in a file of its own (catalog.go, …) from that
// file's init, after the commands above and in the order of the files, so that the groups grow
// without everyone editing one list.
func register(cs ...*command) { commands = append(commands, cs...) }

// groupSummaries are the groups the usage text shows as one line; `ecolake help GROUP` lists
// their commands.
var groupSummaries = map[string]string{
	"catalog": "目录管理: 登记、修改、审核、定级、历史、业务事项与应用场景 (ecolake help catalog 列出全部)",
	"grant":   "授权: 申请、批准、驳回、撤销、列出与查看 (ecolake help grant 列出全部)",
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func isGroup(name string) bool {
	for _, c := range commands {
		if strings.HasPrefix(c.name, name+" ") {
			return true
		}
	}
	return false
}

func arg(pos []string, i int) string {
	if i < len(pos) {
		return pos[i]
	}
	return ""
}

func setupServe(fs *flag.FlagSet, cfg *app.Config) runFunc {
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "HTTP 监听`地址` (主机:端口)")
	fs.BoolVar(&cfg.Demo, "demo", false, "载入演示目录、演示数据与演示账号 (令牌见 README)")
	fs.Func("cache-mb", "本地数据湖文件读缓存的上限, 单位 `MiB` (默认 4096)", func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("应为正整数 (MiB), 而不是 %q", v)
		}
		cfg.CacheMaxBytes = n << 20
		return nil
	})
	fs.Int64Var(&cfg.DuckDBMemoryMB, "duckdb-memory-mb", 0, "查询引擎 DuckDB 的内存上限, 单位 `MiB` (0 为 DuckDB 默认: 本机内存的 80%)")
	fs.StringVar(&cfg.RoleLimits, "role-limits", "", "按角色的查询限额`文件` (JSON, 格式见 README)")
	fs.Int64Var(&cfg.ResultCacheMB, "result-cache-mb", cfg.ResultCacheMB, "重复查询结果缓存的上限, 单位 `MiB` (0 为不缓存)")
	rejectedFlag(fs, cfg)
	fs.Int64Var(&cfg.NativeCacheMB, "native-cache-mb", cfg.NativeCacheMB, "快照本地列存副本 (数据目录下 native/, 每次启动重建) 的上限, 单位 `MiB` (0 为不建副本, 只读 Parquet 文件)")
	fs.IntVar(&cfg.AuditRetentionDays, "audit-days", cfg.AuditRetentionDays, "查询审计记录保留的`天数` (0 为永久保留)")
	fs.BoolVar(&cfg.Scheduler, "scheduler", cfg.Scheduler, "按调度自动归集已配置归集连接的目录 (false 为只手动触发)")
	fs.DurationVar(&cfg.Schedule.RealtimePoll, "realtime-poll", cfg.Schedule.RealtimePoll, "更新周期为“实时”的目录的拉取`间隔`")
	fs.DurationVar(&cfg.Schedule.Tick, "schedule-tick", cfg.Schedule.Tick, "调度器检查到期归集的`间隔`")
	targetFlags(fs, cfg)
	gcServeFlags(fs, cfg)
	clusterFlags(fs, cfg)
	fs.IntVar(&cfg.ExtraProcs, "extra-procs", cfg.ExtraProcs,
		"比 CPU 数 (或容器的 CPU 限额) 多设的 Go 处理器`个数` (GOMAXPROCS): 目录日志落盘后提交线程无需排队即可继续, 并发写入更快 (0 为不多设; 设置了环境变量 GOMAXPROCS 时以它为准)")
	return func(ctx context.Context, _ []string, _ io.Writer, log *slog.Logger) int {
		if err := app.Serve(ctx, *cfg, log, nil); err != nil {
			log.Error("serve", "err", err)
			return app.ExitFailed
		}
		return app.ExitOK
	}
}

func setupInit(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var ia app.InitArgs
	fs.StringVar(&ia.Name, "name", "系统管理员", "管理员的显示`名称`")
	ttlFlag(fs, &ia.TTL)
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunInit(ctx, *cfg, ia, out, log)
	}
}

func setupIngest(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var ia app.IngestArgs
	fs.StringVar(&ia.Entry, "entry", "", "目录的`资源代码` (分类码/顺序码) 或表名 (必填)")
	fs.StringVar(&ia.District, "district", "", "报送`区县` (代码或名称)")
	fs.StringVar(&ia.Sheet, "sheet", "", "xlsx 工作簿中要读取的`工作表` (工作簿只有一个工作表时可省略)")
	fs.BoolVar(&ia.Replace, "replace", false, "替换该目录的数据, 而不是追加")
	rejectedFlag(fs, cfg)
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		ia.File = arg(pos, 0)
		return app.RunIngest(ctx, *cfg, ia, out, log)
	}
}

// rejectedFlag is the share of a file's rows that may be invalid, for the commands that load.
func rejectedFlag(fs *flag.FlagSet, cfg *app.Config) {
	fs.Float64Var(&cfg.MaxRejectedPercent, "max-rejected-percent", cfg.MaxRejectedPercent,
		"报送文件中错误行所占`百分比`的上限, 超过则整批不入库 (100 为只要有有效行即入库)")
}

func setupGC(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var ga app.GCArgs
	fs.DurationVar(&cfg.GC.MinAge, "min-age", cfg.GC.MinAge, "保留比这更新的未引用文件 (可能属于进行中的归集), 如 1h")
	fs.BoolVar(&ga.DryRun, "dry-run", false, "只列出将过期的快照与将被删除的文件, 不做改动")
	retentionFlags(fs, cfg)
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunGC(ctx, *cfg, ga, out, log)
	}
}

func setupPrincipalCreate(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var pa app.PrincipalArgs
	fs.StringVar(&pa.ID, "id", "", "账号 `ID` (字母、数字、_ . : -; 必填)")
	fs.StringVar(&pa.Name, "name", "", "账号的显示`名称` (必填)")
	fs.StringVar(&pa.Role, "role", "", "`角色` (必填, 见上)")
	fs.StringVar(&pa.Clearance, "clearance", "", "可读数据的最高`密级` (必填, 见上)")
	fs.StringVar(&pa.Department, "department", "", "所属处室`代码`, 如 DIV_WATER")
	fs.Func("district", "管辖`区县` (代码或名称); 可重复, 或用逗号分隔; district 角色必填", func(v string) error {
		for _, d := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
			if d = strings.TrimSpace(d); d != "" {
				pa.Districts = append(pa.Districts, d)
			}
		}
		return nil
	})
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunPrincipalCreate(ctx, *cfg, pa, out, log)
	}
}

func setupPrincipalDisable(fs *flag.FlagSet, cfg *app.Config) runFunc {
	id := fs.String("id", "", "要停用的账号 `ID` (必填)")
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunPrincipalDisable(ctx, *cfg, *id, out, log)
	}
}

func setupTokenCreate(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var ta app.TokenArgs
	fs.StringVar(&ta.Principal, "principal", "", "令牌所属的账号 `ID` (必填)")
	fs.StringVar(&ta.Name, "name", "", "令牌的用途说明 (`名称`)")
	ttlFlag(fs, &ta.TTL)
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunTokenCreate(ctx, *cfg, ta, out, log)
	}
}

func setupTokenList(fs *flag.FlagSet, cfg *app.Config) runFunc {
	principal := fs.String("principal", "", "只列出该账号 `ID` 的令牌")
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunTokenList(ctx, *cfg, *principal, out, log)
	}
}

func setupTokenRevoke(fs *flag.FlagSet, cfg *app.Config) runFunc {
	id := fs.String("id", "", "要吊销的令牌`编号` (见 token list; 必填)")
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunTokenRevoke(ctx, *cfg, *id, out, log)
	}
}

func setupEntryImport(fs *flag.FlagSet, cfg *app.Config) runFunc {
	reason := fs.String("reason", "", "登记或修改的`原因`, 记入每条目录的历史")
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		return app.RunEntryImport(ctx, *cfg, arg(pos, 0), *reason, out, log)
	}
}

func noFlags(fn func(context.Context, app.Config, io.Writer, *slog.Logger) int) func(*flag.FlagSet, *app.Config) runFunc {
	return func(_ *flag.FlagSet, cfg *app.Config) runFunc {
		return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
			return fn(ctx, *cfg, out, log)
		}
	}
}

// ttlFlag adds --expires, the lifetime of a token.
func ttlFlag(fs *flag.FlagSet, ttl *time.Duration) {
	fs.Func("expires", "令牌的有效`时长`, 如 720h 或 90d (默认 90d)", func(v string) error {
		d, err := app.ParseTTL(v)
		if err != nil {
			return err
		}
		*ttl = d
		return nil
	})
}

// lakeFlags adds the S3 lake settings. Like every flag, each may also come from the environment
// (ECOLAKE_S3_SECRET_KEY, …; see config.go), which keeps secrets off the command line and out of
// the configuration file.
func lakeFlags(fs *flag.FlagSet, cfg *app.Config) {
	fs.StringVar(&cfg.Lake, "lake", cfg.Lake, "数据湖`位置`: 空为 数据目录/lake, 或 s3://bucket/prefix (环境变量 ECOLAKE_LAKE)")
	fs.StringVar(&cfg.S3.Endpoint, "s3-endpoint", cfg.S3.Endpoint, "S3 服务`地址` 主机:端口 (ECOLAKE_S3_ENDPOINT)")
	fs.StringVar(&cfg.S3.AccessKey, "s3-access-key", cfg.S3.AccessKey, "S3 访问`密钥ID` (ECOLAKE_S3_ACCESS_KEY)")
	fs.Func("s3-secret-key", "S3 私有`密钥` (建议改用环境变量 ECOLAKE_S3_SECRET_KEY)", func(v string) error {
		cfg.SetS3Secret(v)
		return nil
	})
	fs.BoolVar(&cfg.S3.Secure, "s3-secure", cfg.S3.Secure, "通过 https 访问 S3 (ECOLAKE_S3_SECURE=true)")
	fs.StringVar(&cfg.S3.Region, "s3-region", cfg.S3.Region, "S3 `区域` (ECOLAKE_S3_REGION)")
	fs.DurationVar(&cfg.S3.StallTimeout, "s3-stall-timeout", cfg.S3.StallTimeout,
		"对 S3 的请求在此`时长`内没有任何数据传输即判为存储无响应并失败, 如 30s (ECOLAKE_S3_STALL_TIMEOUT)")
	// The OpenLineage events of the runs these commands make.
	fs.StringVar(&cfg.OpenLineageFile, "openlineage-file", cfg.OpenLineageFile,
		"把每次归集与加工的 OpenLineage 事件逐行追加到该`文件` (ECOLAKE_OPENLINEAGE_FILE)")
	fs.StringVar(&cfg.OpenLineageURL, "openlineage-url", cfg.OpenLineageURL,
		"把 OpenLineage 事件发送到该 HTTP `地址` (ECOLAKE_OPENLINEAGE_URL); 发送失败不影响归集")
	fs.Func("openlineage-token", "发送 OpenLineage 事件所用的`令牌` (建议改用环境变量 ECOLAKE_OPENLINEAGE_TOKEN)", func(v string) error {
		cfg.OpenLineageToken = v
		return nil
	})
}
