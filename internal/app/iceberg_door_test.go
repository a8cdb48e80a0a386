package app

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	icecat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/schemas"
)

// TestIcebergRefusals: the catalogue's decision holds at the Iceberg door — an entry above a
// principal's clearance is neither listed nor loadable (404 as for a table that does not exist),
// an entry whose items the principal reads masked is not listed and its load is refused (403), no
// token is 401; every refusal in the Iceberg error shape, in Chinese.
func TestIcebergRefusals(t *testing.T) {
	env := newMatrixEnv(t)
	ctx := context.Background()
	env.addIceEntry(t, nil)
	env.load(t, iceCode, "", iceHeader+iceRows("万州区", "2025-01-05", 3, 0))
	high := env.principal("ice-high", catalog.RoleAnalyst, schemas.Core)
	low := env.principal("ice-low", catalog.RoleAnalyst, schemas.General1)

	v := env.a.Cat.View()
	var above, masked *catalog.Entry
	for _, e := range v.Entries() {
		if e.CurrentSnapshot == "" {
			continue
		}
		if above == nil && !v.Decide(low, e, time.Now()).Exists && catalog.MayReadRawTable(v.Decide(high, e, time.Now())) {
			above = e
		}
		a := v.Decide(high, e, time.Now())
		if masked == nil && a.Read && slices.ContainsFunc(a.Items, func(it catalog.ItemAccess) bool { return it.Mask != "" }) {
			masked = e
		}
	}
	require.NotNil(t, above, "the demo has a loaded entry above GENERAL_1 that CORE reads raw")
	require.NotNil(t, masked, "the demo has a loaded entry with masked items")

	lowTables := env.checkIceberg(t, low)
	assert.NotContains(t, lowTables, above.Table)
	assert.Contains(t, lowTables, iceTable)
	highTables := env.checkIceberg(t, high)
	assert.Contains(t, highTables, above.Table)
	assert.NotContains(t, highTables, masked.Table)

	_, err := env.iceCatalog(t, low).LoadTable(ctx, table.Identifier{api.IcebergNamespace, above.Table})
	require.ErrorIs(t, err, icecat.ErrNoSuchTable)

	type errResp struct {
		Error struct {
			Message string
			Type    string
			Code    int
		}
	}
	decode := func(body string) errResp {
		var r errResp
		require.NoError(t, json.Unmarshal([]byte(body), &r), body)
		return r
	}
	path := api.IcebergPrefix + "/v1/namespaces/" + api.IcebergNamespace + "/tables/"
	r := decode(env.get(t, low, path+above.Table, http.StatusNotFound))
	assert.Equal(t, "NoSuchTableException", r.Error.Type)
	assert.Equal(t, 404, r.Error.Code)
	assert.Contains(t, r.Error.Message, "不存在或无权访问")
	r = decode(env.get(t, high, path+masked.Table, http.StatusForbidden))
	assert.Equal(t, "ForbiddenException", r.Error.Type)
	assert.Contains(t, r.Error.Message, "脱敏")
	assert.NotContains(t, env.get(t, high, path+masked.Table, http.StatusForbidden), "metadata-location")
	r = decode(env.get(t, nil, api.IcebergPrefix+"/v1/config", http.StatusUnauthorized))
	assert.Equal(t, "NotAuthorizedException", r.Error.Type)
	r = decode(env.get(t, high, api.IcebergPrefix+"/v1/namespaces/other/tables", http.StatusNotFound))
	assert.Equal(t, "NoSuchNamespaceException", r.Error.Type)
	r = decode(env.get(t, high, path+"no_such_table", http.StatusNotFound))
	assert.Equal(t, "NoSuchTableException", r.Error.Type)
	status, _ := env.request(t, high, http.MethodPost, path+iceTable, strings.NewReader("{}"))
	assert.Equal(t, http.StatusNotImplemented, status, "the catalogue is read-only")
	status, _ = env.request(t, high, http.MethodHead, path+iceTable, nil)
	assert.Equal(t, http.StatusNoContent, status, "HEAD: the table exists for the reader")
	status, _ = env.request(t, low, http.MethodHead, path+above.Table, nil)
	assert.Equal(t, http.StatusNotFound, status, "HEAD: a table above the clearance does not exist")
	exists, err := env.iceCatalog(t, low).CheckTableExists(ctx, table.Identifier{api.IcebergNamespace, above.Table})
	require.NoError(t, err)
	assert.False(t, exists)
	exists, err = env.iceCatalog(t, low).CheckTableExists(ctx, table.Identifier{api.IcebergNamespace, iceTable})
	require.NoError(t, err)
	assert.True(t, exists)

	// The audit has every load and refusal of a table, by whom and how it ended.
	auditor := env.principal("ice-auditor", catalog.RoleAdmin, schemas.Core)
	var page struct {
		AuditEvents struct{ Nodes []auditEvent }
	}
	env.gql(t, auditor, `{ auditEvents(principal: "ice-high", first: 1000) { nodes { id outcome principal items } } }`, &page)
	byOutcome := map[string][]string{}
	for _, ev := range page.AuditEvents.Nodes {
		if len(ev.Items) == 1 && strings.HasPrefix(ev.Items[0], "iceberg:") { // the rest are GraphQL reads
			byOutcome[ev.Outcome] = append(byOutcome[ev.Outcome], ev.Items[0])
		}
	}
	var loaded []string
	for name := range highTables {
		loaded = append(loaded, "iceberg:"+name)
	}
	assert.ElementsMatch(t, loaded, byOutcome["OK"], "one event per table loaded through the catalogue")
	assert.Equal(t, []string{"iceberg:" + masked.Table, "iceberg:" + masked.Table}, byOutcome[schemas.CodeForbidden])
}

// The Iceberg catalogue is a door like the others: its answers carry the request id, and
// /metrics counts its requests under its prefix.
func TestIcebergDoorIsTracked(t *testing.T) {
	env := newMatrixEnv(t)
	reader := env.principal("ice-tracked", catalog.RoleAnalyst, schemas.Core)
	admin := env.principal("ice-admin", catalog.RoleAdmin, schemas.Core)
	req, err := http.NewRequest(http.MethodGet, env.srv.URL+api.IcebergPrefix+"/v1/config", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer tok-"+reader.ID)
	req.Header.Set("X-Request-ID", "ice-req-42")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ice-req-42", resp.Header.Get("X-Request-ID"))
	metrics := env.get(t, admin, "/metrics", http.StatusOK)
	assert.Regexp(t, `ecolake_http_requests_total\{code="2xx",door="`+regexp.QuoteMeta(api.IcebergPrefix)+`/"\} [1-9]`, metrics)
	assert.Contains(t, env.get(t, nil, "/", http.StatusOK), "/iceberg/v1/config", "the list of doors names it")
}
