package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lineage/openlineage"
)

// TestLoadsEmitOpenLineage: with a lineage file and endpoint configured, a load's run is sent
// to both as a START and a COMPLETE event that validate against the OpenLineage schemas, the
// endpoint getting the bearer token; an endpoint that is down holds up no load.
func TestLoadsEmitOpenLineage(t *testing.T) {
	ctx := context.Background()
	var (
		mu       sync.Mutex
		received []string
		auth     []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, string(b))
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	cfg := grantSetup(t)
	cfg.OpenLineageFile = filepath.Join(t.TempDir(), "lineage.jsonl")
	cfg.OpenLineageURL = srv.URL
	cfg.OpenLineageToken = "ol-secret"
	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	res, err := a.Ingest.Submit(ctx, ingestAsOperator(grantEntryCode, "", "排污口,联系电话\nK1,13800138000\n"))
	require.NoError(t, err)
	require.NoError(t, a.Close()) // sends what is queued

	types := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			ev, err := openlineage.Parse([]byte(l))
			require.NoError(t, err, l)
			assert.Equal(t, openlineage.RunUUID(res.Run.ID), ev.Run.RunID)
			assert.Equal(t, "outfall_contacts", ev.Outputs[0].Name)
			out = append(out, ev.EventType)
		}
		return out
	}
	b, err := os.ReadFile(cfg.OpenLineageFile)
	require.NoError(t, err)
	want := []string{openlineage.EventStart, openlineage.EventComplete}
	assert.Equal(t, want, types(strings.Split(strings.TrimSpace(string(b)), "\n")))
	mu.Lock()
	assert.Equal(t, want, types(received))
	assert.Equal(t, []string{"Bearer ol-secret", "Bearer ol-secret"}, auth)
	mu.Unlock()

	// The endpoint goes away: loads go on.
	srv.Close()
	a, err = Open(ctx, cfg, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	_, err = a.Ingest.Submit(ctx, ingestAsOperator(grantEntryCode, "", "排污口,联系电话\nK2,13900139000\n"))
	require.NoError(t, err)
	require.NoError(t, a.Close())
}
