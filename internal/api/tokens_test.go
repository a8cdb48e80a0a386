package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
)

func TestParseTTL(t *testing.T) {
	const day = 24 * time.Hour
	for _, c := range []struct {
		in   string
		want time.Duration
		err  string // part of the message; "" for none
	}{
		{"720h", 720 * time.Hour, ""},
		{" 90d ", 90 * day, ""},
		{"3650d", catalog.MaxTokenTTL, ""},
		{"87600h", catalog.MaxTokenTTL, ""},
		{"3651d", 0, "最长 3650 天"},
		{"87600h1ns", 0, "最长 3650 天"},
		{"100000000000d", 0, "最长 3650 天"},         // overflowed into centuries before
		{"9223372036854775807d", 0, "最长 3650 天"},  // the largest int64
		{"99999999999999999999d", 0, "最长 3650 天"}, // beyond int64
		{"9999999999999999999h", 0, "应为正的时长"},     // time.ParseDuration refuses the overflow
		{"-99999999999999999999d", 0, "应为正的时长"},   // beyond int64, negative
		{"0d", 0, "应为正的时长"},
		{"-1h", 0, "应为正的时长"},
		{"1.5d", 0, "应为正的时长"},
		{"d", 0, "应为正的时长"},
		{"ninety days", 0, "应为正的时长"},
	} {
		d, err := ParseTTL(c.in)
		if c.err == "" {
			require.NoError(t, err, c.in)
			assert.Equal(t, c.want, d, c.in)
			continue
		}
		require.Error(t, err, c.in)
		assert.Contains(t, err.Error(), c.err, c.in)
		assert.Zero(t, d, c.in)
	}
}

// TestCreateTokenRefusesTooLongLifetime asks the HTTP door for a lifetime above the maximum.
func TestCreateTokenRefusesTooLongLifetime(t *testing.T) {
	e := newAdminEnv(t)
	n := len(e.cat.View().Tokens("steward"))
	for _, in := range []string{"3651d", "100000000000d"} {
		status, body, raw := e.do("POST", "/api/v1/principals/steward/tokens", e.admin, `{"expiresIn":"`+in+`"}`)
		assert.Equal(t, http.StatusBadRequest, status, raw)
		assert.Contains(t, body["error"], "最长 3650 天", in)
	}
	assert.Len(t, e.cat.View().Tokens("steward"), n, "no token was issued")
}
