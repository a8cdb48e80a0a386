package rest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

func TestParsePath(t *testing.T) {
	doc := gjson.Parse(`{"data":{"items":[{"a":1},{"a":2}],"a.b":"dotted","#":"hash","监测值":"中文"},"list":[[5,6]]}`)
	tests := []struct {
		path, want string
	}{
		{"$", doc.Raw},
		{"$.data.items[1].a", "2"},
		{"data.items[1].a", "2"},
		{"data.items.0.a", "1"},
		{"$['data']['a.b']", "dotted"},
		{`$.data["#"]`, "hash"},
		{"data.#", "hash"}, // a key, never gjson's array length
		{"data.监测值", "中文"},
		{"$.list[0][1]", "6"},
		{"$.data.items[5]", ""},
		{"$.data.items.*", ""}, // no wildcard: a key named *
		{"@reverse", ""},       // no modifier: a key named @reverse
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := parsePath(tt.path)
			require.NoError(t, err)
			got := p.get(doc)
			if tt.want == "" {
				require.False(t, got.Exists(), "%s is %s", tt.path, got.Raw)
				return
			}
			require.Equal(t, tt.want, got.String())
		})
	}
	for _, bad := range []string{"", "  ", "$x", "a..b", "a[", "a[x]", "a[-1]", "a['b", "a['b'", "$.", "a."} {
		_, err := parsePath(bad)
		require.Error(t, err, "%q", bad)
	}
}

func TestWallClock(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2024-05-07T08:00:00+08:00", "2024-05-07 08:00:00"},
		{"2024-05-07 08:00:00+08:00", "2024-05-07 08:00:00"},
		{"2024-05-07T08:00:00Z", "2024-05-07 08:00:00"},
		{"2024-05-07T08:00:00.123456789-03:30", "2024-05-07 08:00:00.123456789"},
		{"2024-05-07T08:00:00.500+08:00", "2024-05-07 08:00:00.5"},
		{"2024-05-07T08:00:00", "2024-05-07T08:00:00"},             // no offset: left to the items
		{"2024-05-07T08:00:00+0800", "2024-05-07T08:00:00+0800"},   // not RFC 3339
		{"2024-02-30T08:00:00+08:00", "2024-02-30T08:00:00+08:00"}, // no such day
		{"station 2024-05-07T08:00:00Z", "station 2024-05-07T08:00:00Z"},
		{"水质Ⅱ类", "水质Ⅱ类"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, wallClock(tt.in), tt.in)
	}
}

// FuzzParsePage feeds arbitrary bodies to the page reader: it either reads records or says what
// is wrong, and never panics.
func FuzzParsePage(f *testing.F) {
	for _, s := range []string{`{"data":[{"a":1}],"next_cursor":"c1"}`, `{"data":null}`, `[1,2]`, `{"data":{"x":[`, `"`, ``} {
		f.Add(s)
	}
	records, _ := parsePath("$.data")
	next, _ := parsePath("$.next_cursor")
	cfg := &config{records: records, nextCursor: next, pagination: pageCursor}
	f.Fuzz(func(t *testing.T, body string) {
		recs, _, problem := parsePage(body, cfg)
		if problem != "" {
			require.Empty(t, recs)
			return
		}
		require.True(t, gjson.Valid(body))
		for _, r := range recs {
			_ = render(r)
		}
	})
}
