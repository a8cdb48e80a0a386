// Package xlsxguard opens workbooks that come from outside (a steward's directory workbook, a
// district's submission) without letting a small upload cost large amounts of memory or time. It
// sits under schemas, the leaf every layer may import, so that the directory's exchange and the
// ingest share one guard.
package xlsxguard

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/schemas"
)

// Limits bound what opening a workbook may cost.
type Limits struct {
	MaxBytes      int64 // the workbook file
	MaxUnzipBytes int64 // all its parts uncompressed (a zip bomb stops here)
	MaxParts      int   // files inside the zip
	MaxRatio      int   // unpacked size over packed size, above 1 MiB unpacked
}

// Open reads an untrusted workbook within lim and opens it with opts (its unzip limits set from
// lim). The zip directory is checked before
// excelize sees the file: the number of parts, their declared sizes (Go's zip reader refuses a
// part that inflates past its declared size, so the sum bounds what opening may unpack) and the
// ratio of unpacked to packed size. Reading costs time in proportion to the unpacked XML (about
// 13 MB/s), so the ratio bounds what a small upload can cost; a real workbook packs some 15 times.
// size is the file's size when known (-1 when not). A file that is not a workbook is refused
// as invalid, one over a limit as tooLarge: the caller's kinds, with a Chinese message.
func Open(r io.Reader, size int64, lim Limits, invalid, tooLarge error, opts excelize.Options) (*excelize.File, error) {
	tooBig := schemas.Userf(tooLarge, "工作簿过大：不能超过 %s", sizeText(lim.MaxBytes))
	if size > lim.MaxBytes {
		return nil, tooBig
	}
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read workbook: %w", err)
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, tooBig
	}
	notXLSX := schemas.Userf(invalid, "无法读取工作簿：不是 xlsx 文件（.xls 或加密的工作簿请另存为不加密的 .xlsx）")
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, notXLSX
	}
	if len(zr.File) > lim.MaxParts {
		return nil, schemas.Userf(tooLarge, "工作簿的组成部分过多（%d 个，上限 %d）", len(zr.File), lim.MaxParts)
	}
	var unzipped uint64
	for _, zf := range zr.File {
		unzipped += zf.UncompressedSize64
		if zf.UncompressedSize64 > uint64(lim.MaxUnzipBytes) || unzipped > uint64(lim.MaxUnzipBytes) {
			return nil, schemas.Userf(tooLarge, "工作簿解压后过大：不能超过 %s", sizeText(lim.MaxUnzipBytes))
		}
	}
	if unzipped > ratioFloor && unzipped > uint64(lim.MaxRatio)*uint64(len(data)) {
		return nil, schemas.Userf(tooLarge, "工作簿的压缩比异常（解压后为原文件的 %d 倍以上，上限 %d 倍），拒绝读取", unzipped/uint64(len(data)), lim.MaxRatio)
	}
	// Parts above xmlInMemory are unpacked to temporary files and read from there as a stream
	// (excelize removes them on Close), so a large sheet is not held in memory whole.
	opts.UnzipSizeLimit, opts.UnzipXMLSizeLimit = lim.MaxUnzipBytes, min(lim.MaxUnzipBytes, xmlInMemory)
	f, err := excelize.OpenReader(bytes.NewReader(data), opts)
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		return nil, notXLSX
	}
	return f, nil
}

// ratioFloor is the unpacked size below which any compression ratio is accepted.
const ratioFloor = 1 << 20

// xmlInMemory is the largest part of a workbook read in memory.
const xmlInMemory = 16 << 20

// sizeText writes a byte count for a message: 32 MiB, 512 KiB.
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d 字节", n)
}
