package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProfileOfAnExpiredSnapshot: the profile of a snapshot retention expired is refused in
// words (its manifest may be gone), while the current one still answers.
func TestProfileOfAnExpiredSnapshot(t *testing.T) {
	srv, cat, snaps := profileServer(t)
	const door = "/api/v1/entries/0201%2F000001/profile"
	_, err := cat.ExpireSnapshots(context.Background(), []string{snaps[0]})
	require.NoError(t, err)
	status, body := getProfile(t, srv, "steward-tok", door+"?snapshot="+snaps[0])
	require.Equal(t, http.StatusNotFound, status, string(body))
	assert.Contains(t, string(body), "目录 0201/000001 的快照 "+snaps[0])
	assert.Contains(t, string(body), "按快照保留策略过期")
	status, body = getProfile(t, srv, "steward-tok", door)
	require.Equal(t, http.StatusOK, status, string(body))
}
