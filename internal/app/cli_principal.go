package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/schemas"
)

// PrincipalArgs are the arguments of `ecolake principal create`, shared with the admin API's
// POST /api/v1/principals. Role, clearance and districts may be given by id or by Chinese name.
type PrincipalArgs = api.PrincipalArgs

// RunPrincipalCreate creates a principal offline. It has no token yet: `ecolake token create`.
func RunPrincipalCreate(ctx context.Context, cfg Config, args PrincipalArgs, out io.Writer, log *slog.Logger) int {
	if args.ID == "" || args.Name == "" || args.Role == "" || args.Clearance == "" {
		fmt.Fprintln(out, "错误: 必须提供 --id, --name, --role 与 --clearance (ecolake principal create --help 查看说明)")
		return ExitFailed
	}
	return asOperator(ctx, cfg, out, log, catalog.ActManagePrincipals, func(cat *catalog.Store) int {
		p := args.Principal()
		if err := cat.CreatePrincipal(ctx, p); err != nil {
			return failed(out, "创建账号 "+p.ID, err)
		}
		fmt.Fprintf(out, "已创建账号 %s (%s, %s, 密级上限 %s)。\n", p.ID, p.Name, schemas.Roles.NameOf(p.Role), schemas.Grades.NameOf(string(p.Clearance)))
		fmt.Fprintf(out, "签发令牌: ecolake token create --data %s --principal %s\n", cfg.DataDir, p.ID)
		return ExitOK
	})
}

// RunPrincipalList prints every principal as a table.
func RunPrincipalList(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger) int {
	return asOperator(ctx, cfg, out, log, catalog.ActManagePrincipals, func(cat *catalog.Store) int {
		v, now := cat.View(), time.Now()
		var rows [][]string
		for _, p := range v.Principals() {
			rows = append(rows, []string{p.ID, p.Name, schemas.Roles.NameOf(p.Role), schemas.Grades.NameOf(string(p.Clearance)),
				orDash(p.Department), districtNames(p.Districts), principalStatus(p), tokenCount(v, p, now), cliTime(p.CreatedAt)})
		}
		writeTable(out, []string{"账号", "名称", "角色", "密级上限", "处室", "区县", "状态", "有效令牌", "创建时间"}, rows)
		return ExitOK
	})
}

// RunPrincipalDisable disables a principal: none of its tokens opens anything any more.
func RunPrincipalDisable(ctx context.Context, cfg Config, id string, out io.Writer, log *slog.Logger) int {
	if id == "" {
		fmt.Fprintln(out, "错误: 必须提供 --id")
		return ExitFailed
	}
	return asOperator(ctx, cfg, out, log, catalog.ActManagePrincipals, func(cat *catalog.Store) int {
		if err := cat.DisablePrincipal(ctx, id); err != nil {
			return failed(out, "停用账号 "+id, err)
		}
		fmt.Fprintf(out, "已停用账号 %s: 它的所有令牌立即失效。\n", id)
		return ExitOK
	})
}

func principalStatus(p *catalog.Principal) string {
	if p.Disabled {
		return "已停用 " + cliTime(p.DisabledAt)
	}
	return "启用"
}

// tokenCount counts the tokens that open p now, noting a fixed (demo) token.
func tokenCount(v *catalog.View, p *catalog.Principal, now time.Time) string {
	if p.Disabled {
		return "0"
	}
	n := 0
	for _, t := range v.Tokens(p.ID) {
		if t.Active(now) {
			n++
		}
	}
	if p.TokenHash != "" {
		return fmt.Sprintf("%d (另有固定令牌)", n)
	}
	return fmt.Sprint(n)
}

func districtNames(codes []string) string {
	if len(codes) == 0 {
		return "全部"
	}
	names := make([]string, len(codes))
	for i, c := range codes {
		names[i] = schemas.Districts.NameOf(c)
	}
	return strings.Join(names, "、")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
