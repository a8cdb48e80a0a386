package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// adminID is the principal that `ecolake init` and the first start create.
const adminID = "admin"

// InitArgs are the arguments of `ecolake init`.
type InitArgs struct {
	Name string        // display name of the administrator, "" for 系统管理员
	TTL  time.Duration // lifetime of its token, 0 for catalog.DefaultTokenTTL
}

// RunInit creates the first administrator and a token for it on a data directory that has no
// principals, and prints the token once. A directory that has principals is refused.
func RunInit(ctx context.Context, cfg Config, args InitArgs, out io.Writer, log *slog.Logger) int {
	cat := openCatalogForCLI(ctx, cfg, out, log, true)
	if cat == nil {
		return ExitFailed
	}
	defer closeCatalog(cat, out)
	created, err := bootstrapAdmin(ctx, cat, args, out)
	if err != nil {
		return failed(out, "初始化", err)
	}
	if !created {
		fmt.Fprintf(out, "错误: 数据目录 %s 已经初始化 (已有 %d 个账号), 不会再创建管理员。\n"+
			"如需新的令牌, 请使用 ecolake token create --data %s --principal admin\n",
			cfg.DataDir, len(cat.View().Principals()), cfg.DataDir)
		return ExitFailed
	}
	return ExitOK
}

// firstStart gives a server started without --demo on a data directory without principals its
// administrator, printing the token once to out: otherwise nobody could ever get in.
func (a *App) firstStart(ctx context.Context, demo bool, out io.Writer) error {
	if demo {
		return nil
	}
	if _, err := bootstrapAdmin(ctx, a.Cat, InitArgs{}, out); err != nil {
		return fmt.Errorf("create the first administrator: %w", err)
	}
	return nil
}

// bootstrapAdmin creates the administrator and its token when the catalogue has no principal, and
// reports whether it did. It also completes an earlier run that stopped between the two commands
// (an administrator alone, with no token).
func bootstrapAdmin(ctx context.Context, cat *catalog.Store, args InitArgs, out io.Writer) (bool, error) {
	v := cat.View()
	ps := v.Principals()
	resume := len(ps) == 1 && ps[0].ID == adminID && !ps[0].Disabled && ps[0].TokenHash == "" && len(v.Tokens(adminID)) == 0
	if len(ps) > 0 && !resume {
		return false, nil
	}
	if !resume {
		name := strings.TrimSpace(args.Name)
		if name == "" {
			name = "系统管理员"
		}
		admin := catalog.Principal{ID: adminID, Name: name, Role: catalog.RoleAdmin, Clearance: schemas.Core}
		if err := cat.CreatePrincipal(ctx, admin); err != nil {
			return false, err
		}
	}
	ttl := args.TTL
	if ttl == 0 {
		ttl = catalog.DefaultTokenTTL
	}
	tok, secret, err := cat.CreateToken(ctx, catalog.NewToken{Principal: adminID, Name: "初始管理员令牌", TTL: ttl})
	if err != nil {
		return false, err
	}
	p, err := cat.View().Principal(adminID)
	if err != nil {
		return false, err
	}
	printSecret(out, p, tok, secret)
	return true, nil
}

// printSecret shows a new token's secret in a clearly marked block: it is never shown again.
func printSecret(out io.Writer, p *catalog.Principal, tok *catalog.Token, secret string) {
	line := strings.Repeat("=", 72)
	fmt.Fprintf(out, "%s\n新令牌 (只显示这一次, 请立即妥善保存)\n", line)
	fmt.Fprintf(out, "  账号:     %s %s (角色: %s)\n", p.ID, p.Name, schemas.Roles.NameOf(p.Role))
	fmt.Fprintf(out, "  令牌编号: %s\n", tok.ID)
	fmt.Fprintf(out, "  有效期至: %s\n", tok.ExpiresAt.Local().Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(out, "  令牌:     %s\n", secret)
	fmt.Fprintf(out, "系统只保存令牌的摘要, 无法再次显示; 遗失后请吊销并重新签发 (ecolake token create)。\n")
	fmt.Fprintf(out, "使用方法: 在请求头中加入  Authorization: Bearer <令牌>\n%s\n", line)
}
