package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	_ "github.com/cqeco/ecolake/ingest/rest" // the connector the bench pulls through
)

// pullBench serves the generated readings as a vertical system's paged JSON API on loopback and
// times a whole pull through the REST connector (pages fetched, validated, written, committed)
// against the connector's bare read of the same pages, in one run.
func pullBench(ctx context.Context, dir string, pages, size int) error {
	bodies := make([][]byte, pages+1)
	for p := 0; p <= pages; p++ {
		recs := []map[string]any{}
		for i := p * size; p < pages && i < (p+1)*size; i++ {
			d := rowDistrict(i)
			station, at := pointKey(i)
			recs = append(recs, map[string]any{"station": station, "name": d.ShortName + "监测站", "district": d.Code,
				"at": at.Format("2006-01-02 15:04:05"), "pm25": json.Number(fmt.Sprintf("%d.%d", 10+i%70, i%10)),
				"pm10": 20 + i%100, "o3": 10 + i%150, "aqi": 30 + i%200, "phone": dutyPhone(i)})
		}
		b, err := json.Marshal(map[string]any{"data": recs})
		if err != nil {
			return err
		}
		bodies[p] = b
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := strconv.Atoi(r.URL.Query().Get("page"))
		if err != nil || p < 1 || p > pages+1 {
			p = pages + 1 // past the end: an empty page
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bodies[p-1])
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	conf := map[string]string{
		"url": "http://" + ln.Addr().String() + "/readings", "rate_limit": "0", "page_size": strconv.Itoa(size),
		"mapping":         "station_code=station; station_name=name; district_code=district; observed_at=at; pm25=pm25; pm10=pm10; o3=o3; aqi=aqi; duty_phone=phone",
		"watermark_field": "observed_at",
	}
	rows := pages * size

	src, err := ingest.OpenSource("rest", conf)
	if err != nil {
		return err
	}
	start := time.Now()
	st, err := src.Read(ctx, "")
	if err != nil {
		return err
	}
	read := -1 // the header
	for {
		if _, _, err := st.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		read++
	}
	_ = st.Close()
	bare := time.Since(start)
	if read != rows {
		return fmt.Errorf("bare read: %d records, want %d", read, rows)
	}

	cat, bucket, e, done, err := stationTable(ctx, dir, "pull-catalog", "pull-lake")
	if err != nil {
		return err
	}
	defer done()
	icfg := ingest.DefaultConfig()
	icfg.Writer.TmpDir = dir
	svc := ingest.New(cat, bucket, icfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := svc.Connect(ctx, catalog.Operator(), ingest.Connect{Entry: e.ResourceCode, Kind: "rest", Config: conf, Enabled: true}); err != nil {
		return err
	}
	start = time.Now()
	res, err := svc.Pull(ctx, catalog.Operator(), e.ResourceCode)
	if err != nil {
		return err
	}
	pull := time.Since(start)
	if res.Run.RowsAccepted != int64(rows) {
		return fmt.Errorf("pull accepted %d rows, want %d (%s)", res.Run.RowsAccepted, rows, res.Run.Error)
	}
	fmt.Printf("rest connector, %d pages of %d records from a loopback API:\n", pages, size)
	fmt.Printf("  %-32s %8.2f s  %10.0f rows/s\n", "bare read of the pages", bare.Seconds(), float64(rows)/bare.Seconds())
	fmt.Printf("  %-32s %8.2f s  %10.0f rows/s\n", "pull (validate+write+commit)", pull.Seconds(), float64(rows)/pull.Seconds())
	fmt.Printf("  ratio pull/bare read throughput: %.2f\n", bare.Seconds()/pull.Seconds())
	return nil
}
