package catalog

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

func analyst(id string) Principal {
	return Principal{ID: id, Name: "分析员 " + id, Role: RoleAnalyst, Clearance: schemas.General3}
}

func TestTokenLifecycle(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	t0 := clock.Now()
	require.NoError(t, s.CreatePrincipal(ctx, analyst("a1")))
	assert.ErrorIs(t, s.CreatePrincipal(ctx, analyst("a1")), ErrConflict)

	tok, secret, err := s.CreateToken(ctx, NewToken{Principal: "a1", Name: " 测试令牌 ", TTL: 24 * time.Hour})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(secret, TokenPrefix), secret)
	assert.Len(t, secret, len(TokenPrefix)+43, "32 random bytes, base64url")
	assert.Equal(t, HashToken(secret), tok.Hash)
	assert.Equal(t, "测试令牌", tok.Name)
	assert.Equal(t, t0, tok.CreatedAt)
	assert.Equal(t, t0.Add(24*time.Hour), tok.ExpiresAt)
	assert.True(t, strings.HasPrefix(tok.ID, "tok-"), tok.ID)

	p, err := s.View().PrincipalByToken(secret, t0)
	require.NoError(t, err)
	assert.Equal(t, "a1", p.ID)
	_, err = s.View().PrincipalByToken(secret+"x", t0)
	assert.ErrorIs(t, err, ErrNotFound)

	// expiry is decided by the caller's clock, exactly at ExpiresAt
	_, err = s.View().PrincipalByToken(secret, t0.Add(24*time.Hour-time.Nanosecond))
	assert.NoError(t, err)
	_, err = s.View().PrincipalByToken(secret, t0.Add(24*time.Hour))
	assert.ErrorIs(t, err, ErrNotFound, "expired")

	// revoke: the next lookup fails, the principal's other token still works
	clock.Advance(time.Minute)
	other, otherSecret, err := s.CreateToken(ctx, NewToken{Principal: "a1", TTL: time.Hour})
	require.NoError(t, err)
	require.NoError(t, s.RevokeToken(ctx, tok.ID))
	_, err = s.View().PrincipalByToken(secret, clock.Now())
	assert.ErrorIs(t, err, ErrNotFound, "revoked")
	_, err = s.View().PrincipalByToken(otherSecret, clock.Now())
	assert.NoError(t, err)
	revoked, err := s.View().Token(tok.ID)
	require.NoError(t, err)
	assert.True(t, revoked.Revoked)
	assert.Equal(t, clock.Now(), revoked.RevokedAt)
	idx := s.Index()
	clock.Advance(time.Minute)
	require.NoError(t, s.RevokeToken(ctx, tok.ID), "revoking twice is a no-op")
	assert.Equal(t, idx, s.Index(), "and writes nothing")
	assert.ErrorIs(t, s.RevokeToken(ctx, "tok-none"), ErrNotFound)

	// disable the principal: every token of it fails at once, another principal's does not
	require.NoError(t, s.CreatePrincipal(ctx, analyst("a2")))
	_, secret2, err := s.CreateToken(ctx, NewToken{Principal: "a2", TTL: time.Hour})
	require.NoError(t, err)
	require.NoError(t, s.DisablePrincipal(ctx, "a1"))
	_, err = s.View().PrincipalByToken(otherSecret, clock.Now())
	assert.ErrorIs(t, err, ErrNotFound, "principal disabled")
	_, err = s.View().PrincipalByToken(secret2, clock.Now())
	assert.NoError(t, err)
	a1, err := s.View().Principal("a1")
	require.NoError(t, err)
	assert.True(t, a1.Disabled)
	assert.Equal(t, clock.Now(), a1.DisabledAt)
	assert.Equal(t, t0, a1.CreatedAt)
	_, _, err = s.CreateToken(ctx, NewToken{Principal: "a1", TTL: time.Hour})
	assert.ErrorIs(t, err, ErrInvalid, "no new token for a disabled principal")
	assert.ErrorIs(t, s.DisablePrincipal(ctx, "nobody"), ErrNotFound)

	assert.Equal(t, []string{tok.ID, other.ID}, tokenIDs(s.View().Tokens("a1")))
	assert.Len(t, s.View().Tokens(""), 3)
	assert.Empty(t, s.View().Tokens("a3"))
	var ids []string
	for _, p := range s.View().Principals() {
		ids = append(ids, p.ID)
	}
	assert.Equal(t, []string{"a1", "a2"}, ids)

	// the secrets are nowhere on disk
	require.NoError(t, s.Close())
	assertNotOnDisk(t, s.cfg.Dir, secret, otherSecret, secret2)
}

func TestTokenValidation(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	require.NoError(t, s.CreatePrincipal(ctx, analyst("a1")))
	_, _, err := s.CreateToken(ctx, NewToken{Principal: "nobody", TTL: time.Hour})
	assert.ErrorIs(t, err, ErrNotFound)
	for _, c := range []struct {
		req  NewToken
		want string
	}{
		{NewToken{Principal: "a1"}, "ttl"},
		{NewToken{Principal: "a1", TTL: -time.Hour}, "ttl"},
		{NewToken{Principal: "a1", TTL: MaxTokenTTL + time.Nanosecond}, "ttl: 有效期最长 3650 天"},
		{NewToken{Principal: "a1", TTL: time.Duration(1<<63 - 1)}, "ttl: 有效期最长 3650 天"},
		{NewToken{Principal: "a1", TTL: time.Hour, Name: strings.Repeat("名", maxTokenName+1)}, "name"},
	} {
		_, _, err := s.CreateToken(ctx, c.req)
		require.ErrorIs(t, err, ErrInvalid, c.want)
		assert.Contains(t, err.Error(), c.want)
	}
	longest, _, err := s.CreateToken(ctx, NewToken{Principal: "a1", TTL: MaxTokenTTL})
	require.NoError(t, err, "the maximum itself is allowed")
	assert.Equal(t, longest.CreatedAt.AddDate(0, 0, MaxTokenTTLDays), longest.ExpiresAt)
	tok, _, err := s.CreateToken(ctx, NewToken{Principal: "a1", TTL: time.Hour})
	require.NoError(t, err)
	fixed := analyst("a2")
	fixed.TokenHash = tok.Hash
	err = s.PutPrincipal(ctx, fixed)
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "token_hash: 已被令牌 "+tok.ID+" 使用")
}

// TestFixedTokenHashStillOpens keeps the demo's fixed tokens working beside issued ones.
func TestFixedTokenHashStillOpens(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	fixed := analyst("demo")
	fixed.TokenHash = HashToken("demo-token")
	require.NoError(t, s.PutPrincipal(ctx, fixed))
	p, err := s.View().PrincipalByToken("demo-token", clock.Now().AddDate(10, 0, 0))
	require.NoError(t, err, "a fixed token has no expiry")
	assert.Equal(t, "demo", p.ID)
	fixed.Disabled = true
	require.NoError(t, s.PutPrincipal(ctx, fixed))
	_, err = s.View().PrincipalByToken("demo-token", clock.Now())
	assert.ErrorIs(t, err, ErrNotFound)
}

// TestTokensSurviveReplayAndCheckpoint reopens a store after a crash (journal only), after a
// close (checkpoint only) and with checkpoints in between, and expects the same principals and
// tokens, deciding the same.
func TestTokensSurviveReplayAndCheckpoint(t *testing.T) {
	for _, mode := range []string{"crash", "close", "checkpoint-every-2"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			clock := newClock()
			cfg := testConfig(dir, clock)
			if mode == "checkpoint-every-2" {
				cfg.CheckpointEvery = 2
			}
			s := openTest(t, cfg)
			ctx := context.Background()
			require.NoError(t, s.CreatePrincipal(ctx, analyst("a1")))
			require.NoError(t, s.CreatePrincipal(ctx, analyst("a2")))
			keep, keepSecret, err := s.CreateToken(ctx, NewToken{Principal: "a1", Name: "保留", TTL: 48 * time.Hour})
			require.NoError(t, err)
			clock.Advance(time.Hour)
			gone, goneSecret, err := s.CreateToken(ctx, NewToken{Principal: "a1", Name: "吊销", TTL: 48 * time.Hour})
			require.NoError(t, err)
			require.NoError(t, s.RevokeToken(ctx, gone.ID))
			_, offSecret, err := s.CreateToken(ctx, NewToken{Principal: "a2", TTL: 48 * time.Hour})
			require.NoError(t, err)
			clock.Advance(time.Hour)
			require.NoError(t, s.DisablePrincipal(ctx, "a2"))
			before := tokenState(t, s.View())
			if mode == "close" {
				require.NoError(t, s.Close())
			} else {
				s.crash()
			}

			clock.Advance(24 * time.Hour) // replay must not depend on the clock
			s = openTest(t, cfg)
			defer s.Close()
			if mode == "close" {
				assert.Equal(t, 0, s.sinceCkpt, "restored from the checkpoint alone")
			}
			assert.JSONEq(t, before, tokenState(t, s.View()))
			now := clock.Now()
			p, err := s.View().PrincipalByToken(keepSecret, now)
			require.NoError(t, err)
			assert.Equal(t, "a1", p.ID)
			for _, sec := range []string{goneSecret, offSecret} {
				_, err := s.View().PrincipalByToken(sec, now)
				assert.ErrorIs(t, err, ErrNotFound)
			}
			_, err = s.View().PrincipalByToken(keepSecret, keep.ExpiresAt)
			assert.ErrorIs(t, err, ErrNotFound, "the expiry survives too")
		})
	}
}

func tokenState(t *testing.T, v *View) string {
	t.Helper()
	b, err := json.MarshalIndent(struct {
		Principals []*Principal
		Tokens     []*Token
	}{v.Principals(), v.Tokens("")}, "", " ")
	require.NoError(t, err)
	return string(b)
}

func tokenIDs(ts []*Token) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func assertNotOnDisk(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	files := 0
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		files++
		for _, sec := range secrets {
			assert.NotContains(t, string(b), sec, path)
		}
		return nil
	}))
	assert.NotZero(t, files)
}
