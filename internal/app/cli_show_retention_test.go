package app

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
)

// `ecolake catalog show` words an entry's snapshot retention, each half the entry leaves to the
// service named as such, and history shows a change of it in the same words.
func TestShowNamesRetention(t *testing.T) {
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = t.TempDir()
	cat, err := catalog.Open(context.Background(), ccfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer cat.Close()
	n := func(v int) *int { return &v }
	for _, tc := range []struct {
		count, days *int
		want        string
	}{
		{nil, nil, "系统默认"},
		{n(5), n(30), "最新 5 个、被替换后 30 天"},
		{n(1), nil, "最新 1 个、天数按系统默认"},
		{nil, n(7), "个数按系统默认、被替换后 7 天"},
		{n(0), n(90), "不按个数限制、被替换后 90 天"},
		{n(3), n(0), "最新 3 个、不按天数限制"},
		{n(0), n(0), "全部保留（不按个数、天数限制）"},
	} {
		got := map[string]string{}
		for _, r := range entryRows(cat.View(), &catalog.Entry{RetainSnapshots: tc.count, RetainDays: tc.days}) {
			got[r[0]] = r[1]
		}
		assert.Equal(t, tc.want, got["快照保留"])
	}

	var out bytes.Buffer
	printChanges(&out, "", []catalog.FieldChange{
		{Field: "retain_snapshots", Label: "快照保留个数", Old: "", New: "5"},
		{Field: "retain_days", Label: "快照保留天数", Old: "30", New: "0"},
	})
	assert.Equal(t, "快照保留个数: 系统默认 → 最新 5 个\n快照保留天数: 被替换后 30 天 → 不按天数限制\n", out.String())
}
