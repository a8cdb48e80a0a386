package rest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/ingest/ingesttest"
)

// BenchmarkPull100Pages reads 100 pages of 500 records (the suite's four fields, times with
// their offset) from a local system whose pages are written beforehand, so that the figure is
// the connector's: request, body, JSON, rendering and the watermark.
func BenchmarkPull100Pages(b *testing.B) {
	const pages, size = 100, 500
	recs := ingesttest.Records(t0, pages*size)
	bodies := make([][]byte, pages+1)
	for i := range bodies {
		data := []map[string]any{}
		if i < pages {
			data = jsonRecords(recs[i*size : (i+1)*size])
		}
		body, err := json.Marshal(map[string]any{"code": 0, "data": data})
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = body
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("page"))
		if err != nil || n < 1 || n > len(bodies) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bodies[n-1])
	}))
	defer srv.Close()
	src, err := ingest.OpenSource("rest", map[string]string{
		"url": srv.URL + "/api", "token": "Bearer " + secretPart, "watermark_field": "at",
		"mapping": "code=code; at=$.at; value=value; note=note", "rate_limit": "0", "page_size": strconv.Itoa(size),
	})
	if err != nil {
		b.Fatal(err)
	}
	var bytes int64
	for _, body := range bodies {
		bytes += int64(len(body))
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	loops := 0
	for b.Loop() {
		loops++
		st, err := src.Read(context.Background(), "")
		if err != nil {
			b.Fatal(err)
		}
		rows := -1 // the header
		for {
			_, _, err := st.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		if rows != pages*size {
			b.Fatalf("read %d rows, want %d", rows, pages*size)
		}
		_ = st.Close()
	}
	b.ReportMetric(float64(loops*pages*size)/b.Elapsed().Seconds(), "rows/s")
}
