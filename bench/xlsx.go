package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
)

// xlsxBench writes the first rows of the generated readings as a district's workbook (a title row
// above the header, as districts send them) and times its validated load, with the peak of the
// Go heap while it runs: the sheet is streamed, so the peak should not follow the rows.
func xlsxBench(ctx context.Context, dir string, rows int) error {
	path := filepath.Join(dir, "stations.xlsx")
	size, err := writeXLSX(path, rows)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cat, bucket, e, closeTable, err := stationTable(ctx, dir, "xlsx-catalog", "xlsx-lake")
	if err != nil {
		return err
	}
	defer closeTable()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	icfg := ingest.DefaultConfig()
	icfg.Writer.TmpDir = dir
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	res, err := ingest.New(cat, bucket, icfg, log).Submit(ctx, ingest.Submission{Entry: e.ResourceCode, Filename: "stations.xlsx",
		Body: f, Principal: catalog.Operator()})
	took := time.Since(start)
	close(stop)
	<-done
	if err != nil {
		return err
	}
	if res.Snapshot == nil || res.Run.RowsRejected > 0 || res.HeaderLine != 2 {
		return fmt.Errorf("xlsx load was not clean: %s", res.Summary())
	}
	fmt.Printf("\nxlsx: %d rows, %.1f MB workbook, loaded in %.2f s (%.0f rows/s); Go heap in use at most %.0f MB (%.0f MB before)\n",
		rows, float64(size)/1e6, took.Seconds(), float64(rows)/took.Seconds(), float64(peak.Load())/1e6, float64(base.HeapInuse)/1e6)
	return nil
}

// writeXLSX writes rows of the generated readings (writeCSV's) as a workbook, streamed.
func writeXLSX(path string, n int) (int64, error) {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return 0, err
	}
	if err := sw.SetRow("A1", []any{"重庆市空气质量自动监测站小时数据（区县报送）"}); err != nil {
		return 0, err
	}
	if err := sw.SetRow("A2", []any{"站点编码", "站点名称", "区县", "监测时间", "PM2.5", "PM10", "臭氧", "二氧化氮", "二氧化硫", "一氧化碳", "空气质量指数", "值守人员电话"}); err != nil {
		return 0, err
	}
	for i := 0; i < n; i++ {
		d := rowDistrict(i)
		station, at := pointKey(i)
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		row := []any{station, d.ShortName + "监测站", d.Code, at.Format("2006-01-02 15:04:05"), float64(10+i%70) + float64(i%10)/10,
			float64(20+i%100) + 0.5, 10 + i%150, float64(5+i%60) + 0.2, 2 + i%20, float64(1+i%9) / 10, 30 + i%200, dutyPhone(i)}
		if err := sw.SetRow(cell, row); err != nil {
			return 0, err
		}
	}
	if err := sw.Flush(); err != nil {
		return 0, err
	}
	if err := f.SaveAs(path); err != nil {
		return 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
