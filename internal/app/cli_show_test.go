package app

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCatalogShowProfile: `ecolake catalog show` prints the current snapshot's profile in Chinese,
// the mobile numbers as counts only; an account that may not read the rows is told why instead.
func TestCatalogShowProfile(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := grantSetup(t)
	a, err := Open(ctx, cfg, log, false)
	require.NoError(t, err)
	_, err = a.Ingest.Submit(ctx, ingestAsOperator(grantEntryCode, "", "排污口,联系电话\nK1,13800138000\nK3,\nK2,13900139000\n"))
	require.NoError(t, err)
	require.NoError(t, a.Close())

	tests := []struct {
		name, as string
		want     []string
		not      []string
	}{
		{"the operator", "", []string{"数据概况（快照 ", "，3 行）:", "信息项名称", "不同值",
			"排污口      outfall  字符串  3     0     约 3    K1                K3",
			"联系电话    phone    字符串  3     1     约 2    个人信息，不显示  -"}, []string{"13800138000"}},
		{"a scene without a grant", "yjs", []string{"数据概况: 无权查看目录 " + grantEntryCode + " 的数据概况"}, []string{"K1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			require.Equal(t, ExitOK, RunCatalogShow(ctx, cfg, CatalogArgs{Code: grantEntryCode, As: tt.as}, &out, log), out.String())
			for _, w := range tt.want {
				assert.Contains(t, out.String(), w)
			}
			for _, n := range tt.not {
				assert.NotContains(t, out.String(), n)
			}
		})
	}
}
