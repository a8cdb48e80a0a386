package lake_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cqeco/ecolake/lake"
)

func TestCheckKey(t *testing.T) {
	tests := []struct {
		key    string
		key_ok bool
		pfx_ok bool
	}{
		{"a", true, true},
		{"tables/t/data/x.parquet", true, true},
		{"a.b/c-d_e/重庆.csv", true, true},
		{"..a/b..", true, true},
		{"", false, true},
		{"a/", false, true},
		{"tables/t/", false, true},
		{"/a", false, false},
		{"..", false, false},
		{"a/../b", false, false},
		{"a//b", false, false},
		{"./a", false, false},
		{"a/.", false, true},
		{`a\b`, false, false},
		{"a\x00", false, false},
		{"a\tb", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			if err := lake.CheckKey(tc.key); tc.key_ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, lake.ErrInvalidKey)
			}
			if err := lake.CheckPrefix(tc.key); tc.pfx_ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, lake.ErrInvalidKey)
			}
		})
	}
}

// FuzzCheckKey holds the promise backends rely on: an accepted key never leaves the bucket root.
func FuzzCheckKey(f *testing.F) {
	for _, s := range []string{"a", "a/b", "../a", "a/../../b", "/a", "a//b", ".", "a/.", `a\..\b`, "重庆/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if lake.CheckKey(key) != nil {
			return
		}
		root := "/lake/root"
		p := filepath.Join(root, filepath.FromSlash(key))
		if !strings.HasPrefix(p, root+"/") {
			t.Fatalf("key %q escapes to %s", key, p)
		}
		if filepath.ToSlash(strings.TrimPrefix(p, root+"/")) != key {
			t.Fatalf("key %q is not in canonical form (%s)", key, p)
		}
	})
}
