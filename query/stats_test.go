package query

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestStatsCountRequestsAndSchemas: the service's counters move by what it did — one request per
// outcome, a schema build for a new access key, a new generation when the directory changes —
// and SchemaReady follows the service's life.
func TestStatsCountRequestsAndSchemas(t *testing.T) {
	f := contactsFixture(t)
	require.True(t, f.svc.SchemaReady())
	before := f.svc.Stats()
	require.NotZero(t, before.Generation, "a generation is built by New")

	f.mustDo(hiPrincipal, `{ complaint_contacts { case_no } }`)
	f.mustDo(hiPrincipal, `{ complaint_contacts { case_no } }`)
	f.do(lowPrincipal, `{ complaint_contacts(`, nil)
	st := f.svc.Stats()
	assert.Equal(t, before.Requests[audit.OutcomeOK]+2, st.Requests[audit.OutcomeOK])
	assert.Equal(t, before.Requests[codeSyntax]+1, st.Requests[codeSyntax])
	assert.Greater(t, st.SchemaBuilds, before.SchemaBuilds, "the first request of an access key builds its schema")
	assert.Positive(t, st.SchemaBuildTime)

	e := baseEntry("07/000099", "stats_probe", "统计探针", []catalog.Item{
		{Name: "编号", Field: "id", Type: schemas.String, Required: true, IsKey: true, Grade: schemas.General2},
	})
	require.NoError(t, f.cat.PutEntry(f.ctx, e))
	f.load("07/000099", [][]any{{"a"}})
	require.Eventually(t, func() bool { return f.svc.Stats().Generation > st.Generation }, 5*time.Second, 10*time.Millisecond,
		"a directory change swaps in a new generation")
	assert.Greater(t, f.svc.Stats().Generations, st.Generations)

	require.NoError(t, f.svc.Close())
	assert.False(t, f.svc.SchemaReady(), "a closed service is not ready")
}

// TestAuditTakesTheRequestIDOfTheContext: a request whose context carries an id (the HTTP door's
// X-Request-ID) is recorded under it, by GraphQL and by the other doors alike.
func TestAuditTakesTheRequestIDOfTheContext(t *testing.T) {
	f := contactsFixture(t)
	ctx := audit.WithRequestID(f.ctx, "req-graphql-1")
	res := f.svc.Do(ctx, f.principal(hiPrincipal), Request{Query: `{ complaint_contacts { case_no } }`})
	require.Empty(t, res.Errors)
	require.NoError(t, f.svc.RecordDoor(audit.WithRequestID(f.ctx, "req-door-2"), f.principal(hiPrincipal), "schema.graphql", time.Now(), 0, nil))
	require.NoError(t, f.svc.RecordDoor(f.ctx, f.principal(hiPrincipal), "schema.graphql", time.Now(), 0, nil))
	evs := auditEvents(t, f)
	var ids []string
	for _, ev := range evs {
		ids = append(ids, ev.ID)
	}
	assert.Contains(t, ids, "req-graphql-1")
	assert.Contains(t, ids, "req-door-2")
	last := evs[len(evs)-1].ID
	assert.NotContains(t, []string{"", "req-graphql-1", "req-door-2"}, last, "without an id in the context one is made")
}
