package e2e

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/web/webtest"
)

// TestCockpitTrend: with days of history kept, the cockpit draws the trend of the three figures
// and says how many days it shows. A server of its own: the demo's data directory, stopped, given
// ten days of figures through the catalogue, started again.
func TestCockpitTrend(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	s, err := webtest.StartServer(ctx, binPath, data, "--demo")
	require.NoError(t, err)
	require.NoError(t, s.Close())

	cfg := catalog.DefaultConfig()
	cfg.Dir = filepath.Join(data, "catalog")
	cat, err := catalog.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	today := time.Now().In(audit.Zone)
	for i := 10; i >= 1; i-- {
		d := today.AddDate(0, 0, -i)
		fd, detail := cat.View().TakeFigures(d.Format(time.DateOnly), d, nil)
		require.NoError(t, cat.RecordFigures(ctx, fd, detail))
	}
	require.NoError(t, cat.Close())

	s, err = webtest.StartServer(ctx, binPath, data, "--demo")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	tab := newTab(t)
	require.NoError(t, tab.Login(s.Base, "demo-manager", "/ui/cockpit"))
	waitText(t, tab, "#trend-note", "共 10 天")
	assert.True(t, eval[bool](t, tab, `!document.getElementById('trend-chart').hidden && document.querySelectorAll('#trend-chart canvas').length > 0`))
	screenshot(t, tab, "11-cockpit-trend")

	// A district account is given no history: the page says so instead of a chart.
	wz := newTab(t)
	require.NoError(t, wz.Login(s.Base, "demo-wanzhou", "/ui/cockpit"))
	waitText(t, wz, "#trend-note", "区县账号")
	assert.True(t, eval[bool](t, wz, `document.getElementById('trend-chart').hidden`))
}
