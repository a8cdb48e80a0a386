package rest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/ingest/ingesttest"
)

var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

func codes(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r[0]
	}
	return out
}

func TestPagination(t *testing.T) {
	tests := []struct {
		name string
		n    int // records on the system
		over map[string]string
		want []string // the paging parameters of each request
	}{
		{"page", 23, map[string]string{"page_size": "10"}, []string{"page=1&size=10", "page=2&size=10", "page=3&size=10"}},
		{"page, exact multiple", 20, map[string]string{"page_size": "10"}, []string{"page=1&size=10", "page=2&size=10", "page=3&size=10"}},
		{"page from 0", 5, map[string]string{"page_size": "10", "first_page": "0"}, []string{"page=0&size=10"}},
		{"page, own names", 5, map[string]string{"page_size": "10", "page_param": "pageNo", "size_param": "pageSize"}, []string{"pageNo=1&pageSize=10"}},
		{"offset", 23, map[string]string{"pagination": "offset", "page_size": "10"}, []string{"offset=0&size=10", "offset=10&size=10", "offset=20&size=10"}},
		{"cursor", 23, map[string]string{"pagination": "cursor", "page_size": "10"}, []string{"size=10", "cursor=c10&size=10", "cursor=c20&size=10"}},
		{"none", 23, map[string]string{"pagination": "none"}, []string{""}},
		{"empty", 0, map[string]string{"page_size": "10"}, []string{"page=1&size=10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newSystem(t)
			recs := ingesttest.Records(t0, tt.n)
			ns.add(recs)
			p := readAll(t, context.Background(), ns.source(t, tt.over), "")
			require.NoError(t, p.err)
			require.Equal(t, []string{"code", "at", "value", "note"}, p.header)
			require.Len(t, p.rows, tt.n)
			for i, r := range recs {
				require.Equal(t, r.Code, p.rows[i][0])
				require.Equal(t, i+2, p.lines[i], "records are lines 2, 3, …")
			}
			var got []string
			for _, q := range ns.requests() {
				require.Equal(t, "500000", q.Get("region"), "the steward's fixed parameter is kept")
				q.Del("region")
				got = append(got, q.Encode())
			}
			require.Equal(t, tt.want, got)
		})
	}
}

// page answers every request with body.
func page(body string) func(w http.ResponseWriter, r *http.Request, hit int) bool {
	return func(w http.ResponseWriter, r *http.Request, hit int) bool {
		_, _ = io.WriteString(w, body)
		return true
	}
}

func TestValuesAsItemsParseThem(t *testing.T) {
	ns := newSystem(t)
	ns.setHook(page(`{"data":[{"id":"A1","big":12345678901234567890.123456789,"int":9007199254740993,
		"exp":1.5e3,"neg":-0.10,"ok":true,"no":false,"nil":null,"at":"2024-05-07T08:00:00+08:00",
		"utc":"2024-05-07T23:30:00Z","frac":"2024-05-07T08:00:00.250+08:00","west":"2024-05-07T08:00:00-05:00",
		"plain":"2024-05-07 08:00:00","notime":"2024-05-07T08:00:00+0800","text":"水质Ⅱ类","esc":"a\"b\u4e2d",
		"obj":{"a":[1, 2]},"nested":{"k.dot":"v","@mod":"m"},"arr":[{"v":"first"},{"v":"second"}],"a*b":"star"}]}`))
	tests := []struct{ field, path, want string }{
		{"id", "id", "A1"},
		{"big", "big", "12345678901234567890.123456789"},
		{"int", "$.int", "9007199254740993"},
		{"exp", "exp", "1.5e3"},
		{"neg", "neg", "-0.10"},
		{"ok", "ok", "true"},
		{"no", "no", "false"},
		{"nil", "nil", ""},
		{"missing", "absent.deeper", ""},
		{"at", "at", "2024-05-07 08:00:00"},
		{"utc", "utc", "2024-05-07 23:30:00"},
		{"frac", "frac", "2024-05-07 08:00:00.25"},
		{"west", "west", "2024-05-07 08:00:00"},
		{"plain", "plain", "2024-05-07 08:00:00"},
		{"notime", "notime", "2024-05-07T08:00:00+0800"},
		{"text", "text", "水质Ⅱ类"},
		{"esc", "esc", `a"b中`},
		{"obj", "obj", `{"a":[1, 2]}`},
		{"dot", "nested['k.dot']", "v"},
		{"mod", `nested["@mod"]`, "m"},
		{"first", "arr[0].v", "first"},
		{"second", "$.arr.1.v", "second"},
		{"star", "$['a*b']", "star"},
	}
	var mapping []string
	for _, tt := range tests {
		mapping = append(mapping, tt.field+"="+tt.path)
	}
	src := ns.source(t, map[string]string{"mapping": strings.Join(mapping, "\n"), "pagination": "none"})
	p := readAll(t, context.Background(), src, "")
	require.NoError(t, p.err)
	require.Len(t, p.rows, 1)
	for i, tt := range tests {
		require.Equal(t, tt.field, p.header[i])
		require.Equal(t, tt.want, p.rows[0][i], "%s=%s", tt.field, tt.path)
	}
	require.Equal(t, "2024-05-07T08:00:00+08:00", p.mark, "the watermark keeps the system's own form")
}

func TestWatermark(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("system ignores since %v", ignore), func(t *testing.T) {
			ns := newSystem(t)
			ns.ignoreSince = ignore
			ns.add(ingesttest.Records(t0, 30))
			src := ns.source(t, map[string]string{"page_size": "7"})
			first := readAll(t, context.Background(), src, "")
			require.NoError(t, first.err)
			require.Len(t, first.rows, 30)
			require.Equal(t, "2025-03-01T08:29:00+08:00", first.mark, "the newest at, as the system wrote it")

			since := "2025-03-01 08:19:00" // records 20… are newer; record 19 is equal, not newer
			later := readAll(t, context.Background(), src, since)
			require.NoError(t, later.err)
			require.Equal(t, codes(first.rows[20:]), codes(later.rows))
			require.Equal(t, []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, later.lines, "skipped records take no line")
			require.Equal(t, first.mark, later.mark)
			for _, q := range ns.requests()[len(ns.requests())-1:] {
				require.Equal(t, since, q.Get("since"), "the watermark is sent as watermark_param")
			}

			none := readAll(t, context.Background(), src, first.mark)
			require.NoError(t, none.err)
			require.Empty(t, none.rows)
			require.Equal(t, first.mark, none.mark, "nothing newer keeps since")
		})
	}
}

func TestWatermarkOrders(t *testing.T) {
	tests := []struct {
		name, values, since string
		want                []string
		mark                string
	}{
		{"integers by value", `9, 10, 11, 100`, "9", []string{"10", "11", "100"}, "100"},
		{"times by wall clock", `"2025-01-01T09:00:00+08:00", "2025-01-01 08:59:59", "2025-01-02T00:00:00Z"`,
			"2025-01-01 08:59:59", []string{"2025-01-01 09:00:00", "2025-01-02 00:00:00"}, "2025-01-02T00:00:00Z"},
		{"text as text", `"b", "a", "c"`, "a", []string{"b", "c"}, "c"},
		{"no since reads all", `"b", "a"`, "", []string{"b", "a"}, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newSystem(t)
			var recs []string
			for v := range strings.SplitSeq(tt.values, ",") {
				recs = append(recs, `{"ver":`+strings.TrimSpace(v)+`}`)
			}
			ns.setHook(page(`{"data":[` + strings.Join(recs, ",") + `]}`))
			src := ns.source(t, map[string]string{"mapping": "ver=ver", "watermark_field": "ver", "pagination": "none"})
			p := readAll(t, context.Background(), src, tt.since)
			require.NoError(t, p.err)
			require.Equal(t, tt.want, codes(p.rows))
			require.Equal(t, tt.mark, p.mark)
		})
	}
}

func TestRecordNotAnObjectIsRejectedAlone(t *testing.T) {
	ns := newSystem(t)
	ns.setHook(page(`{"data":[{"code":"A","at":"2025-01-01 00:00:00"}, 42, {"code":"B","at":"2025-01-01 00:01:00"}]}`))
	p := readAll(t, context.Background(), ns.source(t, map[string]string{"mapping": "code=code;at=at"}), "")
	require.NoError(t, p.err)
	require.Equal(t, []string{"A", "B"}, codes(p.rows))
	require.Equal(t, []int{2, 4}, p.lines)
	require.Len(t, p.rejects, 1)
	require.Equal(t, 3, p.rejects[0].Line)
	require.ErrorIs(t, p.rejects[0], errNotObject)
	require.Equal(t, "第 1 页（page=1）第 2 条记录不是 JSON 对象", p.rejects[0].Reason)
}

func TestBareArrayPage(t *testing.T) {
	ns := newSystem(t)
	ns.setHook(page(`[{"code":"A","at":"2025-01-01T08:00:00+08:00"},{"code":"B","at":"2025-01-01T08:01:00+08:00"}]`))
	src := ns.source(t, map[string]string{"records": "$", "mapping": "code=code\nat=at", "pagination": "none"})
	p := readAll(t, context.Background(), src, "")
	require.NoError(t, p.err)
	require.Equal(t, [][]string{{"A", "2025-01-01 08:00:00"}, {"B", "2025-01-01 08:01:00"}}, p.rows)
	require.Equal(t, "2025-01-01T08:01:00+08:00", p.mark)
}

func TestRateLimitSpacesRequests(t *testing.T) {
	ns := newSystem(t)
	ns.add(ingesttest.Records(t0, 9))
	begin := time.Now()
	p := readAll(t, context.Background(), ns.source(t, map[string]string{"page_size": "2", "rate_limit": "20"}), "")
	require.NoError(t, p.err)
	require.Len(t, ns.requests(), 5)
	require.GreaterOrEqual(t, time.Since(begin), 190*time.Millisecond, "5 requests at 20/s take 4 intervals of 50 ms")
}

func TestDescribeNamesNoQuery(t *testing.T) {
	ns := newSystem(t)
	src := ns.source(t, map[string]string{"url": ns.url() + "&appkey=KEY-abcdef"})
	require.Equal(t, "rest "+ns.srv.URL+"/api/v1/sections", src.Describe())
	p := readAll(t, context.Background(), src, "")
	require.NoError(t, p.err)
	require.Equal(t, "KEY-abcdef", ns.requests()[0].Get("appkey"), "the query is still sent")
}

func TestClosedStream(t *testing.T) {
	ns := newSystem(t)
	st, err := ns.source(t, nil).Read(context.Background(), "")
	require.NoError(t, err)
	require.NoError(t, st.Close())
	require.NoError(t, st.Close())
	_, _, err = st.Next()
	require.ErrorIs(t, err, errClosed)
	require.Empty(t, ns.requests(), "a stream closed before reading fetched nothing")
}

func TestMaxPages(t *testing.T) {
	tests := []struct {
		name, next, want string
		rows             int // read before the error
	}{
		{"a system that never ends", "c%d", "超过最多页数 max_pages", 3},
		{"a cursor that does not move", "same", "下一页游标与本页相同", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newSystem(t)
			ns.setHook(func(w http.ResponseWriter, r *http.Request, hit int) bool {
				next := strings.ReplaceAll(tt.next, "%d", strconv.Itoa(hit+1))
				fmt.Fprintf(w, `{"data":[{"code":"R%d","at":"2025-01-01 00:00:%02d"}],"next_cursor":%q}`, hit, hit, next)
				return true
			})
			src := ns.source(t, map[string]string{"pagination": "cursor", "page_size": "1", "max_pages": "3"})
			p := readAll(t, context.Background(), src, "")
			require.Error(t, p.err)
			require.Contains(t, p.err.Error(), tt.want)
			require.Len(t, p.rows, tt.rows)
			require.LessOrEqual(t, len(ns.requests()), 3)
		})
	}
}
