package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/catalog/dcat"
	"github.com/cqeco/ecolake/catalog/workbook"
	"github.com/cqeco/ecolake/schemas"
)

// Export formats of `ecolake catalog export`.
const (
	FormatXLSX = "xlsx"
	FormatDCAT = "dcat"
)

// ExportArgs are the arguments of `ecolake catalog export`.
type ExportArgs struct {
	Format  string // FormatXLSX or FormatDCAT
	Out     string // file written
	BaseURL string // service address the DCAT identifiers are rooted at
}

// RunCatalogExport writes the directory, as the offline operator sees it (all of it), as the
// bureau workbook or as DCAT-AP JSON-LD of its published, openable entries. The file appears
// whole or not at all.
func RunCatalogExport(ctx context.Context, cfg Config, args ExportArgs, out io.Writer, log *slog.Logger) int {
	if args.Out == "" || (args.Format != FormatXLSX && args.Format != FormatDCAT) {
		fmt.Fprintln(out, "用法: ecolake catalog export --format xlsx|dcat -o 文件")
		return ExitFailed
	}
	if args.BaseURL == "" {
		args.BaseURL = "http://" + cfg.Addr
	}
	return asOperator(ctx, cfg, out, log, catalog.ActQuery, func(cat *catalog.Store) int {
		v := cat.View()
		entries := v.Visible(catalog.Operator())
		if args.Format == FormatXLSX {
			entries = workbook.Versions(v, catalog.Operator()) // what an import compares with
		}
		var buf bytes.Buffer
		n := len(entries)
		var err error
		if args.Format == FormatXLSX {
			err = workbook.Write(ctx, &buf, v, entries)
		} else {
			err = dcat.Write(&buf, entries, args.BaseURL)
			n = 0
			for _, e := range entries {
				if dcat.Openable(e) {
					n++
				}
			}
		}
		if err != nil {
			return failed(out, "导出目录", err)
		}
		if err := writeWhole(args.Out, buf.Bytes()); err != nil {
			fmt.Fprintf(out, "错误: 无法写入 %s（%s）\n", schemas.Clip(args.Out, 256), openFailure(err))
			return ExitFailed
		}
		what := "目录工作簿"
		if args.Format == FormatDCAT {
			what = "DCAT-AP 开放目录"
		}
		fmt.Fprintf(out, "已导出%s: %d 条目录 → %s\n", what, n, args.Out)
		return ExitOK
	})
}

// writeWhole writes data to path through a temporary file in the same folder, so that a reader
// never sees half a file and a failure leaves the old one.
func writeWhole(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone already when renamed
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ImportArgs are the arguments of `ecolake catalog import`.
type ImportArgs struct {
	File   string
	Reason string
}

// RunCatalogImport applies a directory workbook offline, as the operator, in one catalogue
// command: new entries become drafts, changed ones edits or change requests. A workbook with any
// problem changes nothing; every problem is printed with its sheet, row and column.
func RunCatalogImport(ctx context.Context, cfg Config, args ImportArgs, out io.Writer, log *slog.Logger) int {
	if args.File == "" {
		fmt.Fprintln(out, "用法: ecolake catalog import [--reason 说明] 目录.xlsx")
		return ExitFailed
	}
	f, err := os.Open(args.File)
	if err != nil {
		fmt.Fprintf(out, "错误: 无法打开文件 %s（%s）\n", schemas.Clip(args.File, 256), openFailure(err))
		return ExitFailed
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	if args.Reason == "" {
		args.Reason = "导入目录工作簿 " + filepath.Base(args.File)
	}
	return asOperator(ctx, cfg, out, log, catalog.ActEditDirectory, func(cat *catalog.Store) int {
		res, err := workbook.Import(ctx, cat, catalog.Operator(), f, size, args.Reason)
		var werr *workbook.Error
		if errors.As(err, &werr) {
			fmt.Fprintf(out, "导入失败: 工作簿有 %d 处问题，未导入任何内容\n", len(werr.Problems))
			for _, p := range werr.Problems {
				fmt.Fprintf(out, "  %s: %s\n", p.Where(), p.Message)
			}
			if werr.Truncated {
				fmt.Fprintln(out, "  （问题过多，只列出以上部分）")
			}
			return ExitFailed
		}
		if err != nil {
			return failed(out, "导入目录工作簿", err)
		}
		fmt.Fprintf(out, "导入完成: 新登记 %d 条（草稿）, 修改 %d 条, 未变 %d 条\n", len(res.Created), len(res.Changed), len(res.Unchanged))
		for _, c := range res.Created {
			fmt.Fprintf(out, "  新登记 %s\n", c)
		}
		for _, c := range res.Changed {
			fmt.Fprintf(out, "  已修改 %s\n", c)
		}
		return ExitOK
	})
}
