package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/api"
)

// TokenArgs are the arguments of `ecolake token create`.
type TokenArgs struct {
	Principal string
	Name      string
	TTL       time.Duration // 0 for catalog.DefaultTokenTTL
}

// RunTokenCreate issues a token offline and prints its secret once.
func RunTokenCreate(ctx context.Context, cfg Config, args TokenArgs, out io.Writer, log *slog.Logger) int {
	if args.Principal == "" {
		fmt.Fprintln(out, "错误: 必须提供 --principal (账号)")
		return ExitFailed
	}
	if args.TTL < 0 {
		fmt.Fprintf(out, "错误: 有效期 --expires %s 必须为正\n", args.TTL)
		return ExitFailed
	}
	return asOperator(ctx, cfg, out, log, catalog.ActManagePrincipals, func(cat *catalog.Store) int {
		if args.TTL == 0 {
			args.TTL = catalog.DefaultTokenTTL
		}
		tok, secret, err := cat.CreateToken(ctx, catalog.NewToken{Principal: args.Principal, Name: args.Name, TTL: args.TTL})
		if err != nil {
			return failed(out, "为账号 "+args.Principal+" 签发令牌", err)
		}
		p, err := cat.View().Principal(tok.Principal)
		if err != nil {
			return failed(out, "读取账号 "+tok.Principal, err)
		}
		printSecret(out, p, tok, secret)
		return ExitOK
	})
}

// RunTokenList prints the tokens of one principal ("" for all) as a table, never their secrets.
func RunTokenList(ctx context.Context, cfg Config, principal string, out io.Writer, log *slog.Logger) int {
	return asOperator(ctx, cfg, out, log, catalog.ActManagePrincipals, func(cat *catalog.Store) int {
		v := cat.View()
		if principal != "" {
			if _, err := v.Principal(principal); err != nil {
				return failed(out, "列出账号 "+principal+" 的令牌", err)
			}
		}
		now := time.Now()
		var rows [][]string
		for _, t := range v.Tokens(principal) {
			rows = append(rows, []string{t.ID, t.Principal, orDash(t.Name), cliTime(t.CreatedAt), cliTime(t.ExpiresAt), tokenStatus(t, now)})
		}
		writeTable(out, []string{"令牌编号", "账号", "名称", "签发时间", "到期时间", "状态"}, rows)
		return ExitOK
	})
}

// RunTokenRevoke revokes a token: it opens nothing from the next request on.
func RunTokenRevoke(ctx context.Context, cfg Config, id string, out io.Writer, log *slog.Logger) int {
	if id == "" {
		fmt.Fprintln(out, "错误: 必须提供 --id (令牌编号, 见 ecolake token list)")
		return ExitFailed
	}
	return asOperator(ctx, cfg, out, log, catalog.ActManagePrincipals, func(cat *catalog.Store) int {
		if err := cat.RevokeToken(ctx, id); err != nil {
			return failed(out, "吊销令牌 "+id, err)
		}
		fmt.Fprintf(out, "已吊销令牌 %s。\n", id)
		return ExitOK
	})
}

func tokenStatus(t *catalog.Token, now time.Time) string {
	switch {
	case t.Revoked:
		return "已吊销 " + cliTime(t.RevokedAt)
	case !t.Active(now):
		return "已过期"
	}
	return "有效"
}

// ParseTTL reads a token lifetime: a Go duration ("720h") or whole days ("90d"); see api.ParseTTL,
// which the admin API uses for the same text.
func ParseTTL(s string) (time.Duration, error) { return api.ParseTTL(s) }
