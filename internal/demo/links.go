package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/cqeco/ecolake/catalog"
)

// The demo's business items (业务事项) and application scenes, named by the entries of specs. The
// "一件事" come from the action plan (入河排污口问题处置, 危险废物转移联单问题处置 …). 污染天应对
// names the demo's 巴渝治气 application (air-app) as its scene account, so that a query with its
// token puts the scene in use for "一件事"上线运行率; the others have none, and say so.
var (
	businessItems = []catalog.BusinessItem{
		{Code: "YW_AIR_MONITORING", Name: "空气质量监测", Department: "CTR_MONITORING"},
		{Code: "YW_AIR_ASSESSMENT", Name: "治气攻坚考核", Department: "DIV_AIR"},
		{Code: "YW_EMISSION_LIST", Name: "应急减排清单管理", Department: "DIV_AIR"},
		{Code: "YW_WATER_ANOMALY", Name: "地表水水质监测异常问题处置", Department: "DIV_WATER"},
		{Code: "YW_HAZWASTE_TRANSFER", Name: "危险废物转移管控", Department: "DIV_SOLID_WASTE"},
	}
	scenes = []catalog.Scene{
		{Code: "CJ_AIR", Name: "巴渝治气", Kind: catalog.SceneComposite, Department: "DIV_AIR"},
		{Code: "CJ_WATER", Name: "巴渝治水", Kind: catalog.SceneComposite, Department: "DIV_WATER"},
		{Code: "CJ_WASTE", Name: "巴渝治废", Kind: catalog.SceneComposite, Department: "DIV_SOLID_WASTE"},
		{Code: "YJS_POLLUTION_DAY", Name: "污染天应对", Kind: catalog.SceneOneThing, Department: "DIV_AIR", Accounts: []string{"air-app"}},
		{Code: "YJS_RIVER", Name: "守护一江碧水", Kind: catalog.SceneOneThing, Department: "DIV_WATER"},
		{Code: "YJS_HAZWASTE_MANIFEST", Name: "危险废物转移联单问题处置", Kind: catalog.SceneOneThing, Department: "DIV_SOLID_WASTE"},
		{Code: "YJS_OUTFALL", Name: "入河排污口问题处置", Kind: catalog.SceneOneThing, Department: "DIV_WATER"},
	}
)

// putLinks registers the business items and scenes that are missing.
func putLinks(ctx context.Context, cat *catalog.Store) error {
	op := catalog.Operator()
	for _, b := range businessItems {
		if _, err := cat.View().BusinessItem(b.Code); !errors.Is(err, catalog.ErrNotFound) {
			continue
		}
		if err := cat.PutBusinessItem(ctx, op, b, 0); err != nil {
			return fmt.Errorf("business item %s: %w", b.Code, err)
		}
	}
	for _, s := range scenes {
		s.Accounts = sceneAccounts(cat.View(), s.Accounts)
		old, err := cat.View().Scene(s.Code)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			if err := cat.PutScene(ctx, op, s, 0); err != nil {
				return fmt.Errorf("scene %s: %w", s.Code, err)
			}
		case err != nil:
			return err
		case len(old.Accounts) == 0 && len(s.Accounts) > 0 && old.UpdatedBy == op.Name:
			// Registered by an earlier demo, before scenes named their accounts.
			old.Accounts = s.Accounts
			if err := cat.PutScene(ctx, op, *old, old.Revision); err != nil {
				return fmt.Errorf("scene %s: %w", s.Code, err)
			}
		}
	}
	return nil
}

// sceneAccounts keeps the accounts that are enabled scene accounts: a real account holding a
// demo id (putPrincipals leaves it alone) is never named.
func sceneAccounts(v *catalog.View, ids []string) []string {
	var out []string
	for _, id := range ids {
		if p, err := v.Principal(id); err == nil && !p.Disabled && p.Role == catalog.RoleScene {
			out = append(out, id)
		}
	}
	return out
}
