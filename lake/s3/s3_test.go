package s3_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/laketest"
	"github.com/cqeco/ecolake/lake/s3"
	"github.com/cqeco/ecolake/lake/s3/miniotest"
)

func config(srv miniotest.Server, bucket, prefix string) s3.Config {
	return s3.Config{
		Endpoint:  srv.Endpoint,
		Bucket:    bucket,
		Prefix:    prefix,
		AccessKey: srv.AccessKey,
		SecretKey: s3.Secret(srv.SecretKey),
	}
}

func TestAcceptance(t *testing.T) {
	srv := miniotest.Start(t)
	var n atomic.Int64
	for _, prefix := range []string{"", "lake/v1"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			laketest.Run(t, func(t *testing.T) lake.Bucket {
				b, err := s3.New(context.Background(), config(srv, fmt.Sprintf("suite-%d", n.Add(1)), prefix))
				require.NoError(t, err)
				return b
			})
		})
	}
}

func TestPrefixIsolation(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := context.Background()
	a, err := s3.New(ctx, config(srv, "shared", "a"))
	require.NoError(t, err)
	b, err := s3.New(ctx, config(srv, "shared", "a2/"))
	require.NoError(t, err)
	whole, err := s3.New(ctx, config(srv, "shared", ""))
	require.NoError(t, err)
	require.NoError(t, a.Upload(ctx, "k", strings.NewReader("in a"), 4))
	require.NoError(t, b.Upload(ctx, "k", strings.NewReader("in a2"), 5))

	list := func(bk lake.Bucket) []string {
		var keys []string
		require.NoError(t, bk.Iter(ctx, "", func(k string) error { keys = append(keys, k); return nil }))
		return keys
	}
	assert.Equal(t, []string{"k"}, list(a))
	assert.Equal(t, []string{"k"}, list(b))
	assert.Equal(t, []string{"a/k", "a2/k"}, list(whole))
	assert.Equal(t, "s3://shared/a/", a.Name())
	assert.Equal(t, "s3://shared/", whole.Name())
}

func TestNewCreatesBucketOnce(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := context.Background()
	for range 2 {
		_, err := s3.New(ctx, config(srv, "created", ""))
		require.NoError(t, err)
	}
	wrong := config(srv, "created", "")
	wrong.SecretKey = "not-the-secret"
	_, err := s3.New(ctx, wrong)
	assert.Error(t, err)
}

func TestSecretNeverPrints(t *testing.T) {
	cfg := s3.Config{Endpoint: "h:1", Bucket: "bkt", AccessKey: "ak", SecretKey: "topsecret"}
	js, err := json.Marshal(cfg)
	require.NoError(t, err)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg.SecretKey), string(js)} {
		assert.NotContains(t, s, "topsecret")
		assert.Contains(t, s, "[redacted]")
	}
}

func TestValidate(t *testing.T) {
	good := s3.Config{Endpoint: "minio.eco.cq:9000", Bucket: "ecolake", AccessKey: "ak", SecretKey: "sk"}
	require.NoError(t, good.Validate())
	tests := []struct {
		name   string
		change func(*s3.Config)
	}{
		{"empty endpoint", func(c *s3.Config) { c.Endpoint = "" }},
		{"scheme in endpoint", func(c *s3.Config) { c.Endpoint = "http://minio:9000" }},
		{"no port", func(c *s3.Config) { c.Endpoint = "minio" }},
		{"empty bucket", func(c *s3.Config) { c.Bucket = "" }},
		{"upper-case bucket", func(c *s3.Config) { c.Bucket = "EcoLake" }},
		{"short bucket", func(c *s3.Config) { c.Bucket = "ab" }},
		{"bucket with underscore", func(c *s3.Config) { c.Bucket = "eco_lake" }},
		{"ip bucket", func(c *s3.Config) { c.Bucket = "192.168.1.1" }},
		{"absolute prefix", func(c *s3.Config) { c.Prefix = "/lake" }},
		{"escaping prefix", func(c *s3.Config) { c.Prefix = "../lake" }},
		{"no access key", func(c *s3.Config) { c.AccessKey = "" }},
		{"no secret key", func(c *s3.Config) { c.SecretKey = "" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.change(&c)
			assert.ErrorIs(t, c.Validate(), s3.ErrInvalidConfig)
		})
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		url            string
		bucket, prefix string
		ok             bool
	}{
		{"s3://ecolake", "ecolake", "", true},
		{"s3://ecolake/", "ecolake", "", true},
		{"s3://ecolake/prod", "ecolake", "prod/", true},
		{"s3://ecolake/prod/lake/", "ecolake", "prod/lake/", true},
		{"http://ecolake/prod", "", "", false},
		{"s3://", "", "", false},
		{"s3://Eco/prod", "", "", false},
		{"s3://ecolake/a/../b", "", "", false},
		{"s3://ecolake//a", "", "", false},
		{"s3://user@ecolake/a", "", "", false},
		{"s3://ecolake:9000/a", "", "", false},
		{"s3://ecolake/a?x=1", "", "", false},
		{"ecolake/prod", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			bucket, prefix, err := s3.ParseURL(tc.url)
			if !tc.ok {
				assert.ErrorIs(t, err, s3.ErrInvalidConfig)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.bucket, bucket)
			assert.Equal(t, tc.prefix, prefix)
		})
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"s3://ecolake", "s3://ecolake/a/b", "s3://a/../b", "s3://x:1/a", "s3://eco.lake/a/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		bucket, prefix, err := s3.ParseURL(u)
		if err != nil {
			return
		}
		cfg := s3.Config{Endpoint: "h:1", Bucket: bucket, Prefix: prefix, AccessKey: "a", SecretKey: "s"}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("ParseURL(%q) gave an invalid config: %v", u, err)
		}
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			t.Fatalf("prefix %q does not end in /", prefix)
		}
	})
}
