package audit

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

var csvHeader = []string{"请求编号", "时间", "账号", "角色", "场景", "目录", "信息项", "脱敏信息项", "明文读取",
	"行范围", "授权", "快照", "返回行数", "耗时（毫秒）", "结果", "错误", "未列出的目录数"}

// Export writes every event matching f as CSV with Chinese headers (UTF-8 with a byte order
// mark, so that spreadsheet programs read the Chinese), page by page, and returns how many it
// wrote. redact, when not nil, cuts out of each event what the reader may not see and returns
// how many entries it cut (the last column).
func (l *Log) Export(ctx context.Context, w io.Writer, f Filter, redact func(*Event) int) (int, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return 0, err
	}
	n, after := 0, ""
	for {
		page, next, err := l.Query(ctx, f, after, MaxPage)
		if err != nil {
			return n, err
		}
		for i := range page {
			hidden := 0
			if redact != nil {
				hidden = redact(&page[i])
			}
			if err := cw.Write(append(csvRow(&page[i]), strconv.Itoa(hidden))); err != nil {
				return n, err
			}
			n++
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, fmt.Errorf("write audit CSV: %w", err)
		}
		if next == "" {
			return n, nil
		}
		after = next
	}
}

func csvRow(ev *Event) []string {
	list := func(v []string) string { return strings.Join(v, "；") }
	row := []string{ev.ID, ev.At.In(Zone).Format("2006-01-02 15:04:05.000"), ev.Principal, ev.Role, ev.Scene,
		list(ev.Entries), list(ev.Items), list(ev.Masked), list(ev.Unmasked), list(ev.RowScopes), list(ev.Grants),
		list(ev.Snapshots), strconv.Itoa(ev.Rows), strconv.FormatFloat(ev.Millis, 'f', 1, 64), ev.Outcome, ev.Error}
	for i, c := range row {
		row[i] = csvSafe(c)
	}
	return row
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet program.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
