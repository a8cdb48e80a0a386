package ingest

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/cqeco/ecolake/lake"
)

// rejectHeader is the header of the rejected-rows file districts open in a spreadsheet.
var rejectHeader = []string{"行号", "列", "字段", "值", "原因"}

// rejectFile spools every reject of a run to a temporary CSV (UTF-8 with BOM so that
// spreadsheet programs on Chinese Windows open it correctly) and keeps the first few in memory.
type rejectFile struct {
	dir   string
	max   int
	f     *os.File
	w     *csv.Writer
	count int // problems written
	kept  []Reject
}

func newRejectFile(dir string, max int) *rejectFile { return &rejectFile{dir: dir, max: max} }

func (r *rejectFile) add(rej Reject) error {
	if r.f == nil {
		f, err := os.CreateTemp(r.dir, "rejects-*.csv")
		if err != nil {
			return fmt.Errorf("create rejects file: %w", err)
		}
		r.f, r.w = f, csv.NewWriter(f)
		if _, err := f.Write(utf8BOM); err != nil {
			return fmt.Errorf("write rejects file: %w", err)
		}
		if err := r.w.Write(rejectHeader); err != nil {
			return fmt.Errorf("write rejects file: %w", err)
		}
	}
	if err := r.w.Write([]string{strconv.Itoa(rej.Row), rej.Column, rej.Field, rej.Value, rej.Reason}); err != nil {
		return fmt.Errorf("write rejects file: %w", err)
	}
	r.count++
	if len(r.kept) < r.max {
		r.kept = append(r.kept, rej)
	}
	return nil
}

// upload stores the file at key; nothing is stored when there were no rejects.
func (r *rejectFile) upload(ctx context.Context, b lake.Bucket, key string) (bool, error) {
	if r.f == nil {
		return false, nil
	}
	r.w.Flush()
	if err := r.w.Error(); err != nil {
		return false, fmt.Errorf("write rejects file: %w", err)
	}
	size, err := r.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return false, fmt.Errorf("rejects file: %w", err)
	}
	if _, err := r.f.Seek(0, io.SeekStart); err != nil {
		return false, fmt.Errorf("rejects file: %w", err)
	}
	if err := b.Upload(ctx, key, r.f, size); err != nil {
		return false, fmt.Errorf("upload %s: %w", key, err)
	}
	return true, nil
}

// close removes the temporary file.
func (r *rejectFile) close() {
	if r.f != nil {
		_ = r.f.Close()
		_ = os.Remove(r.f.Name())
		r.f = nil
	}
}
