package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// LinkedArgs are the arguments of `ecolake catalog business-item put` and `scene put`: the
// catalogue objects entries link to. Empty fields of an existing one keep their values.
type LinkedArgs struct {
	CatalogArgs
	Name        string
	Kind        string // scenes: one_thing or composite, or their Chinese names
	Department  string
	Description string
	Retired     *bool // nil: unchanged (false for a new one)
}

// RunBusinessItemPut registers or changes a business item (业务事项).
func RunBusinessItemPut(ctx context.Context, cfg Config, l LinkedArgs, out io.Writer, log *slog.Logger) int {
	if l.Code == "" {
		fmt.Fprintln(out, "错误: 必须用 --code 给出业务事项代码")
		return ExitFailed
	}
	return withPrincipal(ctx, cfg, l.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		b := catalog.BusinessItem{Code: l.Code}
		old, err := cat.View().BusinessItem(l.Code)
		if err == nil {
			b = *old
		}
		b.Name, b.Department, b.Description = keep(l.Name, b.Name), keep(l.Department, b.Department), keep(l.Description, b.Description)
		if l.Retired != nil {
			b.Retired = *l.Retired
		}
		if err := cat.PutBusinessItem(ctx, p, b, l.Base); err != nil {
			return failed(out, "登记业务事项 "+l.Code, err)
		}
		n, _ := cat.View().BusinessItem(l.Code)
		fmt.Fprintf(out, "%s业务事项 %s %s（%s，%s，版本 %d）。\n", putVerb(old), n.Code, n.Name, departmentName(cat.View(), n.Department),
			retiredLabel(n.Retired), n.Revision)
		return ExitOK
	})
}

// RunBusinessItemList lists the business items with the number of entries serving each that
// exist for the principal.
func RunBusinessItemList(ctx context.Context, cfg Config, a CatalogArgs, out io.Writer, log *slog.Logger) int {
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		v := cat.View()
		var rows [][]string
		for _, b := range v.BusinessItems() {
			rows = append(rows, []string{b.Code, b.Name, departmentName(v, b.Department), retiredLabel(b.Retired),
				strconv.Itoa(len(v.EntriesServing(p, "business_item", b.Code))), strconv.FormatUint(b.Revision, 10), orDash(b.UpdatedBy)})
		}
		writeTable(out, []string{"代码", "名称", "责任处室", "状态", "关联目录", "版本", "更新人"}, rows)
		return ExitOK
	})
}

// RunScenePut registers or changes an application scene (一件事, 综合场景).
func RunScenePut(ctx context.Context, cfg Config, l LinkedArgs, out io.Writer, log *slog.Logger) int {
	if l.Code == "" {
		fmt.Fprintln(out, "错误: 必须用 --code 给出应用场景代码")
		return ExitFailed
	}
	return withPrincipal(ctx, cfg, l.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		sc := catalog.Scene{Code: l.Code}
		old, err := cat.View().Scene(l.Code)
		if err == nil {
			sc = *old
		}
		sc.Name, sc.Department, sc.Description = keep(l.Name, sc.Name), keep(l.Department, sc.Department), keep(l.Description, sc.Description)
		sc.Kind = keep(catalog.SceneKind(l.Kind), sc.Kind)
		if l.Retired != nil {
			sc.Retired = *l.Retired
		}
		if err := cat.PutScene(ctx, p, sc, l.Base); err != nil {
			return failed(out, "登记应用场景 "+l.Code, err)
		}
		n, _ := cat.View().Scene(l.Code)
		fmt.Fprintf(out, "%s应用场景 %s %s（%s，%s，%s，版本 %d）。\n", putVerb(old), n.Code, n.Name, catalog.SceneKindNames[n.Kind],
			departmentName(cat.View(), n.Department), retiredLabel(n.Retired), n.Revision)
		return ExitOK
	})
}

// RunSceneList lists the application scenes with the number of entries serving each that exist
// for the principal.
func RunSceneList(ctx context.Context, cfg Config, a CatalogArgs, out io.Writer, log *slog.Logger) int {
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		v := cat.View()
		var rows [][]string
		for _, s := range v.Scenes() {
			rows = append(rows, []string{s.Code, s.Name, catalog.SceneKindNames[s.Kind], departmentName(v, s.Department), retiredLabel(s.Retired),
				strconv.Itoa(len(v.EntriesServing(p, "scene", s.Code))), strconv.FormatUint(s.Revision, 10), orDash(s.UpdatedBy)})
		}
		writeTable(out, []string{"代码", "名称", "类型", "责任处室", "状态", "关联目录", "版本", "更新人"}, rows)
		return ExitOK
	})
}

func keep(given, old string) string {
	if given != "" {
		return given
	}
	return old
}

func putVerb[T any](old *T) string {
	if old == nil {
		return "已登记"
	}
	return "已更新"
}

func retiredLabel(retired bool) string {
	if retired {
		return schemas.EntryStatuses.NameOf(catalog.StatusRetired)
	}
	return "在用"
}
