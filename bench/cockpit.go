package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
	"github.com/cqeco/ecolake/web"
)

// cockpitReport times the server's side of the cockpit page (驾驶舱) over the province-size
// catalogue: the page's own two GraphQL requests (web.CockpitQueries), answered by the query
// service as the HTTP door would, for a manager who sees every entry and for a district
// account (whose trend request is refused, as the page shows). Target: 200 ms.
func cockpitReport(ctx context.Context, svc *query.Service, district *catalog.Principal) error {
	figures, history := web.CockpitQueries()
	now := time.Now().In(audit.Zone)
	vars := map[string]any{"from": now.AddDate(0, 0, -90).Format(time.DateOnly), "to": now.AddDate(0, 0, -1).Format(time.DateOnly)}
	manager := &catalog.Principal{ID: "bench-manager", Role: catalog.RoleManager, Clearance: schemas.Core}
	for _, p := range []*catalog.Principal{manager, district} {
		var took []time.Duration
		for range 11 {
			start := time.Now()
			res := svc.Do(ctx, p, query.Request{Query: figures})
			if len(res.Errors) > 0 {
				return fmt.Errorf("cockpit figures as %s: %s", p.Role, res.Errors[0].Message)
			}
			hres := svc.Do(ctx, p, query.Request{Query: history, Variables: vars})
			if p.Role != catalog.RoleDistrict && len(hres.Errors) > 0 {
				return fmt.Errorf("cockpit trend as %s: %s", p.Role, hres.Errors[0].Message)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		fmt.Printf("  cockpit page data (its two GraphQL requests) as %s: median %.1f ms, slowest of 11 %.1f ms (target ≤ 200 ms)\n",
			p.Role, ms(took[len(took)/2]), ms(took[len(took)-1]))
	}
	return nil
}
