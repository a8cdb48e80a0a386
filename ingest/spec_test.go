package ingest

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseMapping: any text is a mapping or a Chinese reason, never a panic; a mapping names
// each field once, with a path, and writes back to itself.
func FuzzParseMapping(f *testing.F) {
	for _, s := range []string{"a=$.b", "code=code; at=$.at\nvalue=v", "a=b;a=c", "=x", "a=", ";;", "站点=$.站点[0].编码"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMapping(s)
		if err != nil {
			if !utf8.ValidString(err.Error()) && utf8.ValidString(s) {
				t.Fatalf("reason not UTF-8: %q", err)
			}
			return
		}
		seen := map[string]bool{}
		var parts []string
		for _, fp := range m {
			if fp.Field == "" || fp.Path == "" || seen[fp.Field] {
				t.Fatalf("bad pair %+v of %q", fp, s)
			}
			seen[fp.Field] = true
			parts = append(parts, fp.Field+"="+fp.Path)
		}
		again, err := parseMapping(strings.Join(parts, "\n"))
		if err != nil || len(again) != len(m) {
			t.Fatalf("%q written back as %q does not parse the same: %v", s, parts, err)
		}
	})
}
