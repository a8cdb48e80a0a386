package app

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// checkSearch holds the search door to the decision: a search without text pages through
// exactly the entries that exist for p, its total counts no other, and a search with text finds
// none beyond them.
func (env *matrixEnv) checkSearch(t *testing.T, p *catalog.Principal, exists []string) {
	t.Helper()
	var got []string
	after := ""
	for {
		var res struct {
			Search struct {
				Total      int
				NextCursor *string
				Hits       []struct{ Entry struct{ ResourceCode string } }
			}
		}
		env.gql(t, p, fmt.Sprintf(`{ search(first: 100, after: %q) { total nextCursor hits { entry { resourceCode } } } }`, after), &res)
		assert.Equal(t, len(exists), res.Search.Total, "search total")
		for _, h := range res.Search.Hits {
			got = append(got, h.Entry.ResourceCode)
		}
		if res.Search.NextCursor == nil || *res.Search.NextCursor == "" {
			break
		}
		after = *res.Search.NextCursor
	}
	assert.ElementsMatch(t, exists, got, "search without text")
	var res struct {
		Search struct {
			Hits []struct{ Entry struct{ ResourceCode string } }
		}
	}
	env.gql(t, p, `{ search(text: "监测", first: 100) { hits { entry { resourceCode } } } }`, &res)
	for _, h := range res.Search.Hits {
		assert.Contains(t, exists, h.Entry.ResourceCode, "search for text found a hidden entry")
	}
}

// auditEvent is an audit event as the auditEvents field answers it.
type auditEvent struct {
	ID, Outcome                                 string
	Principal                                   *string
	Entries, Items, Masked, Unmasked, RowScopes []string
}

// checkAudit holds the audit to the matrix: every request each principal made to an audited door
// has its event, and every event names, for each item it read, the mask and the row scope the
// decision applied to it.
func (env *matrixEnv) checkAudit(t *testing.T, principals []*catalog.Principal, entries []*catalog.Entry) {
	t.Helper()
	auditor := env.principal("matrix-auditor", catalog.RoleAdmin, schemas.Core)
	v := env.a.Cat.View()
	byTable := map[string]*catalog.Entry{}
	for _, e := range entries {
		byTable[e.Table] = e
	}
	checked := 0
	for _, p := range principals {
		var events []auditEvent
		after := ""
		for {
			var page struct {
				AuditEvents struct {
					NextCursor *string
					Nodes      []auditEvent
				}
			}
			env.gql(t, auditor, fmt.Sprintf(`{ auditEvents(principal: %q, first: 1000, after: %q) { nextCursor
				nodes { id outcome principal entries items masked unmasked rowScopes } } }`, p.ID, after), &page)
			events = append(events, page.AuditEvents.Nodes...)
			if page.AuditEvents.NextCursor == nil || *page.AuditEvents.NextCursor == "" {
				break
			}
			after = *page.AuditEvents.NextCursor
		}
		require.Equal(t, env.audited[p.ID], len(events), "%s: one audit event per request", p.ID)
		for _, ev := range events {
			for _, item := range ev.Items {
				table, field, ok := strings.Cut(item, ".")
				if !ok || item == "schema.graphql" || item == "audit.csv" {
					continue // a catalogue field or a door other than GraphQL, not an item
				}
				e := byTable[table]
				require.NotNil(t, e, "%s: event %s read an unknown table %s", p.ID, ev.ID, table)
				a := v.Decide(p, e, time.Now())
				i := slices.IndexFunc(a.Items, func(it catalog.ItemAccess) bool { return it.Field == field })
				require.True(t, i >= 0 && a.Items[i].Visible, "%s: event %s read %s, not visible to it", p.ID, ev.ID, item)
				if m := a.Items[i].Mask; m != "" {
					assert.Contains(t, ev.Masked, item+":"+m, "%s: event %s lacks the mask of %s", p.ID, ev.ID, item)
				} else {
					assert.NotContains(t, strings.Join(ev.Masked, " "), item+":", "%s: event %s names a mask not applied", p.ID, ev.ID)
				}
				hasScope := slices.ContainsFunc(ev.RowScopes, func(s string) bool { return strings.HasPrefix(s, table+": ") })
				assert.Equal(t, a.Rows != nil, hasScope, "%s: event %s and the row scope of %s", p.ID, ev.ID, table)
				checked++
			}
		}
	}
	require.Greater(t, checked, 0, "no audit event named an item")
}

// readVisible reads every item of e the decision shows p, a few rows, so that the audit has
// masked reads to account for; it returns how many of the items were masked.
func (env *matrixEnv) readVisible(t *testing.T, p *catalog.Principal, e *catalog.Entry, a catalog.Access) int {
	t.Helper()
	if a.AggregatesOnly {
		return 0
	}
	var fields []string
	masked := 0
	for _, it := range a.Items {
		if it.Visible {
			fields = append(fields, it.Field)
			if it.Mask != "" {
				masked++
			}
		}
	}
	if len(fields) == 0 {
		return 0
	}
	var out map[string][]map[string]any
	env.gql(t, p, fmt.Sprintf(`{ %s(limit: 5) { %s } }`, e.Table, strings.Join(fields, " ")), &out)
	return masked
}
