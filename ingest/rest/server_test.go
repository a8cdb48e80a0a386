package rest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/ingest/ingesttest"
	"github.com/cqeco/ecolake/schemas"
)

// secretPart is the token's secret; the header value the steward writes is "Bearer " + it.
const secretPart = "tok-9f8e7d6c5b4a3928"

// nationalSystem is a fake national vertical system: the suite's records behind a token, times
// in Beijing time with their offset, served in pages by page number (from 1), by offset or by
// cursor, filtered by the since parameter unless told to ignore it.
type nationalSystem struct {
	srv   *httptest.Server
	token string

	mu          sync.Mutex
	recs        []ingesttest.Record
	ignoreSince bool
	// hook may answer a request itself (returning true): a slow page, a 503 burst. hit counts
	// requests from 0.
	hook func(w http.ResponseWriter, r *http.Request, hit int) bool
	hits []url.Values // the query of each request, in order
}

func newSystem(t testing.TB) *nationalSystem {
	ns := &nationalSystem{token: "Bearer " + secretPart}
	ns.srv = httptest.NewServer(ns)
	t.Cleanup(ns.srv.Close)
	return ns
}

func (ns *nationalSystem) add(recs []ingesttest.Record) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.recs = append(ns.recs, recs...)
}

func (ns *nationalSystem) setHook(h func(w http.ResponseWriter, r *http.Request, hit int) bool) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.hook = h
}

// requests returns the queries received so far.
func (ns *nationalSystem) requests() []url.Values {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return append([]url.Values(nil), ns.hits...)
}

// url is the endpoint with a fixed parameter, as stewards write it.
func (ns *nationalSystem) url() string { return ns.srv.URL + "/api/v1/sections?region=500000" }

// config is a configuration of the suite's fields over the system, fast enough for tests, with
// overrides applied ("" deletes a key).
func (ns *nationalSystem) config(over map[string]string) map[string]string {
	cfg := map[string]string{
		"url":             ns.url(),
		"token":           ns.token,
		"mapping":         "code=code; at=$.at; value=value; note=note",
		"watermark_field": "at",
		"rate_limit":      "0",
		"timeout":         "2s",
		"retry_base":      "1ms",
		"max_retries":     "3",
	}
	maps.Copy(cfg, over)
	for k, v := range over {
		if v == "" {
			delete(cfg, k)
		}
	}
	return cfg
}

func (ns *nationalSystem) source(t testing.TB, over map[string]string) *Source {
	t.Helper()
	src, err := ingest.OpenSource("rest", ns.config(over))
	require.NoError(t, err)
	return src.(*Source)
}

func (ns *nationalSystem) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ns.mu.Lock()
	hit := len(ns.hits)
	ns.hits = append(ns.hits, r.URL.Query())
	hook := ns.hook
	ns.mu.Unlock()
	if hook != nil && hook(w, r, hit) {
		return
	}
	if r.Header.Get("Authorization") != ns.token {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"code":401,"msg":"token invalid"}`)
		return
	}
	q := r.URL.Query()
	recs := ns.since(q.Get("since"))
	size := len(recs) + 1
	if n, err := strconv.Atoi(q.Get("size")); err == nil {
		size = n
	}
	start := 0
	switch {
	case q.Has("page"):
		n, _ := strconv.Atoi(q.Get("page"))
		start = (n - 1) * size
	case q.Has("offset"):
		start, _ = strconv.Atoi(q.Get("offset"))
	case q.Has("cursor"):
		start, _ = strconv.Atoi(strings.TrimPrefix(q.Get("cursor"), "c"))
	}
	start = min(max(start, 0), len(recs))
	end := min(start+size, len(recs))
	page := map[string]any{"code": 0, "msg": "ok", "data": jsonRecords(recs[start:end]), "next_cursor": nil}
	if end < len(recs) {
		page["next_cursor"] = "c" + strconv.Itoa(end)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(page)
}

// since returns the records newer than the watermark, or all of them when the system ignores it.
func (ns *nationalSystem) since(mark string) []ingesttest.Record {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if mark == "" || ns.ignoreSince {
		return append([]ingesttest.Record(nil), ns.recs...)
	}
	at, err := schemas.ParseTimestamp(mark)
	if err != nil {
		return nil
	}
	var out []ingesttest.Record
	for _, r := range ns.recs {
		if r.At.After(at) {
			out = append(out, r)
		}
	}
	return out
}

// jsonRecords writes records as the system does: times in Beijing time with their offset,
// numbers as JSON numbers, a null value as null and a null note left out.
func jsonRecords(recs []ingesttest.Record) []map[string]any {
	out := make([]map[string]any, len(recs))
	for i, r := range recs {
		m := map[string]any{"code": r.Code, "at": r.At.Format("2006-01-02T15:04:05") + "+08:00", "value": nil}
		if r.Value != "" {
			m["value"] = json.Number(r.Value)
		}
		if r.Note != "" {
			m["note"] = r.Note
		}
		out[i] = m
	}
	return out
}

// pull is what one read returned.
type pull struct {
	header  []string
	rows    [][]string
	lines   []int
	rejects []*ingest.RecordError
	mark    string
	err     error // the error that ended the read, nil for io.EOF
}

// readAll reads a whole stream of src, keeping a failure for the test to look at.
func readAll(t testing.TB, ctx context.Context, src ingest.Source, since string) pull {
	t.Helper()
	st, err := src.Read(ctx, since)
	if err != nil {
		return pull{err: err}
	}
	defer func() { require.NoError(t, st.Close()) }()
	var p pull
	for {
		rec, line, err := st.Next()
		var re *ingest.RecordError
		switch {
		case errors.Is(err, io.EOF):
			p.mark = st.Watermark()
			return p
		case errors.As(err, &re):
			p.rejects = append(p.rejects, re)
		case err != nil:
			p.err, p.mark = err, st.Watermark()
			return p
		case p.header == nil:
			p.header = append([]string(nil), rec...)
		default:
			p.rows = append(p.rows, append([]string(nil), rec...))
			p.lines = append(p.lines, line)
		}
	}
}

// slowly answers after d, or when the client gives up.
func slowly(w http.ResponseWriter, r *http.Request, d time.Duration) {
	select {
	case <-time.After(d):
	case <-r.Context().Done():
	}
	w.WriteHeader(http.StatusGatewayTimeout)
}
