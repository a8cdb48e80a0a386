package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/schemas"
)

// ConnectionArgs are the arguments of `ecolake connection …`, `ecolake pull` and
// `ecolake schedules`. Who may configure, read and trigger is the catalogue's decision
// (Access.Configure); the commands say what happened, in Chinese.
type ConnectionArgs struct {
	As       string // Principal.ID to act as; "" for the offline operator
	Entry    string
	Kind     string
	Config   map[string]string // key=value flags
	File     string            // a JSON object of the configuration, merged under Config
	Schedule string
	Disabled bool
	Base     uint64
}

// withApp opens the data directory for a command acting as principal as (the offline operator
// for ""), or says in Chinese why it cannot.
func withApp(ctx context.Context, cfg Config, as string, out io.Writer, log *slog.Logger, fn func(*App, *catalog.Principal) int) int {
	a := openForCLI(ctx, cfg, out, log)
	if a == nil {
		return ExitFailed
	}
	defer a.Close()
	p, err := actingAs(a.Cat.View(), as)
	if err != nil {
		fmt.Fprintf(out, "错误: %s\n", failure(err))
		return ExitFailed
	}
	return fn(a, p)
}

// RunConnectionSet sets an entry's connection.
func RunConnectionSet(ctx context.Context, cfg Config, a ConnectionArgs, out io.Writer, log *slog.Logger) int {
	if a.Entry == "" || a.Kind == "" {
		fmt.Fprintln(out, "用法: ecolake connection set <资源代码> --kind 连接器类型 [--set 配置项=值 …] [--config-file 配置.json] [--schedule cron] [--disabled] [--base 版本]")
		return ExitFailed
	}
	conf := map[string]string{}
	if a.File != "" {
		data, err := os.ReadFile(a.File)
		if err != nil {
			fmt.Fprintf(out, "错误: 无法打开文件 %s（%s）\n", schemas.Clip(a.File, 256), openFailure(err))
			return ExitFailed
		}
		if err := json.Unmarshal(data, &conf); err != nil {
			fmt.Fprintf(out, "错误: %s 应为 JSON 对象，键与值都是文本（%s）\n", schemas.Clip(a.File, 256), schemas.Clip(err.Error(), 200))
			return ExitFailed
		}
	}
	for k, v := range a.Config {
		conf[k] = v
	}
	return withApp(ctx, cfg, a.As, out, log, func(a2 *App, p *catalog.Principal) int {
		err := a2.Ingest.Connect(ctx, p, ingest.Connect{Entry: a.Entry, Kind: a.Kind, Config: conf, Schedule: a.Schedule, Enabled: !a.Disabled, Base: a.Base})
		if err != nil {
			return failed(out, "设置归集连接", err)
		}
		return printConnection(a2, p, a.Entry, out, "已设置")
	})
}

// RunConnectionShow prints an entry's connection, secrets redacted, with its schedule.
func RunConnectionShow(ctx context.Context, cfg Config, a ConnectionArgs, out io.Writer, log *slog.Logger) int {
	return withApp(ctx, cfg, a.As, out, log, func(a2 *App, p *catalog.Principal) int {
		return printConnection(a2, p, a.Entry, out, "")
	})
}

// RunConnectionDrop removes an entry's connection.
func RunConnectionDrop(ctx context.Context, cfg Config, a ConnectionArgs, out io.Writer, log *slog.Logger) int {
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		if err := cat.DropConnection(ctx, p, a.Entry, a.Base); err != nil {
			return failed(out, "删除归集连接", err)
		}
		fmt.Fprintf(out, "已删除目录 %s 的归集连接（其归集记录与数据保留）。\n", a.Entry)
		return ExitOK
	})
}

func printConnection(a *App, p *catalog.Principal, entry string, out io.Writer, did string) int {
	c, err := a.Ingest.Connection(p, entry)
	if err != nil {
		return failed(out, "读取归集连接", err)
	}
	e, err := a.Cat.View().Entry(c.Entry)
	if err != nil {
		return failed(out, "读取归集连接", err)
	}
	plan := a.cfg.Schedule.PlanOf(c, e)
	if did != "" {
		fmt.Fprintf(out, "%s目录 %s（%s）的归集连接（版本 %d）。\n", did, e.ResourceCode, e.Name, c.Revision)
	}
	fmt.Fprintf(out, "目录：%s %s\n连接器：%s\n", e.ResourceCode, e.Name, c.Kind)
	keys := make([]string, 0, len(c.Config))
	for k := range c.Config {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(out, "  %s = %s\n", k, c.Config[k])
	}
	printPlan(out, plan)
	fmt.Fprintf(out, "版本：%d（%s 修改于 %s）\n", c.Revision, c.UpdatedBy, cliTime(c.UpdatedAt))
	return ExitOK
}

func printPlan(out io.Writer, p ingest.Plan) {
	fmt.Fprintf(out, "调度：%s\n", p.Rule)
	switch {
	case p.Pending && p.Enabled:
		fmt.Fprintln(out, "下次归集：立即（尚未归集过）")
	case !p.Next.IsZero():
		fmt.Fprintf(out, "下次归集：%s\n", cliTime(p.Next))
	}
	if !p.LastAttempt.IsZero() {
		fmt.Fprintf(out, "上次归集：%s", cliTime(p.LastAttempt))
		if p.Failures > 0 {
			fmt.Fprintf(out, "（已连续失败 %d 次，按退避间隔重试）", p.Failures)
		}
		fmt.Fprintln(out)
	}
	if p.Watermark != "" {
		fmt.Fprintf(out, "水位：%s（下次只读取更新的记录）\n", p.Watermark)
	}
}

// RunPull pulls an entry's connection once, now, straight into the data directory.
func RunPull(ctx context.Context, cfg Config, a ConnectionArgs, out io.Writer, log *slog.Logger) int {
	return withApp(ctx, cfg, a.As, out, log, func(a2 *App, p *catalog.Principal) int {
		res, err := a2.Ingest.Pull(ctx, p, a.Entry)
		if err != nil {
			fmt.Fprintf(out, "归集失败: %s\n", ingestFailure(a.Entry, res, err, log))
			return ExitFailed
		}
		fmt.Fprintln(out, res.Summary())
		if res.Run.Watermark != "" {
			fmt.Fprintf(out, "水位：%s\n", res.Run.Watermark)
		}
		if res.Unchanged {
			return ExitOK
		}
		if res.Snapshot == nil || res.Run.RowsRejected > 0 {
			return ExitRejected
		}
		return ExitOK
	})
}

// RunMaterialise materialises a derived entry now (ingest.Service.Materialise), as the
// principal --as; exit codes as RunPull's.
func RunMaterialise(ctx context.Context, cfg Config, a ConnectionArgs, out io.Writer, log *slog.Logger) int {
	return withApp(ctx, cfg, a.As, out, log, func(a2 *App, p *catalog.Principal) int {
		res, err := a2.Ingest.Materialise(ctx, p, a.Entry)
		if err != nil {
			fmt.Fprintf(out, "加工失败: %s\n", ingestFailure(a.Entry, res, err, log))
			return ExitFailed
		}
		if res.Unchanged {
			fmt.Fprintln(out, res.Run.Error) // why nothing was done
			return ExitOK
		}
		fmt.Fprintln(out, res.Summary())
		if res.Snapshot == nil || res.Run.RowsRejected > 0 {
			return ExitRejected
		}
		return ExitOK
	})
}

// RunSchedules lists the schedules of the connections the principal may configure.
func RunSchedules(ctx context.Context, cfg Config, a ConnectionArgs, out io.Writer, log *slog.Logger) int {
	return withApp(ctx, cfg, a.As, out, log, func(a2 *App, p *catalog.Principal) int {
		return printPlans(out, a2.Ingest.Plans(p, cfg.Schedule))
	})
}

func printPlans(out io.Writer, plans []ingest.Plan) int {
	if len(plans) == 0 {
		fmt.Fprintln(out, "没有配置归集连接的目录（或本账号无权查看）。")
		return ExitOK
	}
	now := time.Now()
	for _, pl := range plans {
		next := "—"
		switch {
		case pl.Due(now) && pl.Enabled:
			next = "已到期，服务运行时立即归集"
		case !pl.Next.IsZero():
			next = cliTime(pl.Next)
		}
		fmt.Fprintf(out, "%s\t%s\t下次：%s\t%s", pl.Entry, pl.Kind, next, pl.Rule)
		if pl.Failures > 0 {
			fmt.Fprintf(out, "\t连续失败 %d 次", pl.Failures)
		}
		fmt.Fprintln(out)
	}
	return ExitOK
}

// RunConnectors lists the connector kinds and their configuration, or writes the reference
// documentation (Markdown) generated from their specs.
func RunConnectors(_ context.Context, _ Config, markdown bool, out io.Writer) int {
	if markdown {
		_, _ = io.WriteString(out, ConnectorReference())
		return ExitOK
	}
	for _, c := range ingest.Connectors() {
		fmt.Fprintf(out, "%s\t%s：%s\n", c.Spec.Kind, c.Spec.Title, c.Spec.Description)
		for _, f := range c.Spec.Fields {
			fmt.Fprintf(out, "  %s\t%s%s\n", f.Key, f.Title, fieldNote(f))
		}
	}
	return ExitOK
}

func fieldNote(f ingest.SpecField) string {
	var parts []string
	if f.Required {
		parts = append(parts, "必填")
	}
	if f.Default != "" {
		parts = append(parts, "默认 "+f.Default)
	}
	if f.Type == ingest.TypeSecret {
		parts = append(parts, "保密")
	}
	if len(parts) == 0 {
		return ""
	}
	return "（" + strings.Join(parts, "，") + "）"
}
