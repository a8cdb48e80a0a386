package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// ctxCheckRows is how often the row loop looks at the context.
const ctxCheckRows = 1024

// writeBehindDepth is how many built record batches may wait for the Parquet writer: one keeps
// both stages busy while bounding memory to about three batches.
const writeBehindDepth = 1

// load decodes, validates and writes the submission, uploads its rejects and commits the
// snapshot. On return without error res.Run holds the final run as recorded by the catalogue.
// Rows outside scope (the principal's load scope, nil for none) are rejected with their reason.
func (s *Service) load(ctx context.Context, entry *catalog.Entry, sub Submission, scope *rowScope, res *Result) error {
	digest := sha256.New()
	var dec Decoder
	var hs *hashed // a pull's records, hashed and counted
	var body *countingReader
	if sub.stream != nil {
		// A pull's records are hashed as read: the same records pulled twice are one source.
		body = &countingReader{r: strings.NewReader("")}
		hs = &hashed{Decoder: sub.stream, h: digest}
		dec = hs
	} else {
		body = &countingReader{r: sub.Body}
		var err error
		if dec, err = NewDecoder(sub.Filename, io.TeeReader(body, digest), Options{Sheet: sub.Sheet, XLSX: s.cfg.XLSX}); err != nil {
			return fmt.Errorf("%s: %w", sub.Filename, err)
		}
		if c, ok := dec.(io.Closer); ok {
			defer c.Close()
		}
	}
	tick := startProgress(s, sub, res.Run.ID, body)
	defer tick.end(&res.Run)
	res.Encoding = dec.Encoding()
	if d, ok := dec.(interface{ Delimiter() string }); ok {
		res.Delimiter = d.Delimiter()
	}
	if d, ok := dec.(interface{ Sheet() string }); ok {
		res.Sheet = d.Sheet()
	}
	h, err := findHeader(sub.Filename, dec, entry)
	if err != nil {
		return err
	}
	res.HeaderLine = h.line
	dec = &replay{Decoder: dec, queue: h.buffered}
	p, err := newPlan(sub.Filename, entry, h.cells, dec.Encoding())
	if err != nil {
		return err
	}
	if res.Sheet != "" {
		dec = &padded{Decoder: dec, width: len(p.cols)}
	}
	pis := newPISampler(p)
	prof := newProfiler(p.items)
	if !sub.Replace { // a replacement replaces all the rows it may, whatever the write mode
		if res.keys, err = upsertKeys(entry); err != nil {
			return err
		}
	}
	keys := res.keys
	inScope := scope.forPlan(p)
	pf := catalog.PeriodField(entry)
	period := -1
	if pf != "" {
		var it catalog.Item
		it, period, _ = entry.Items.Field(pf)
		res.Period.field, res.Period.name, res.Period.timestamp = it.Field, it.Name, it.Type == schemas.Timestamp
	}

	// Records are parsed ahead on a goroutine of their own; it is stopped before returning,
	// as sub.Body is the caller's again then.
	ra := startReadAhead(dec)
	defer ra.stop()
	dec = ra

	schema := arrowSchema(entry)
	tw, err := s.newFileWriter(ctx, entry, schema)
	if err != nil {
		return fmt.Errorf("open table writer for %s: %w", entry.Table, err)
	}
	closed := false
	defer func() {
		if !closed {
			tw.Abort()
		}
	}()
	rj := newRejectFile(s.cfg.Writer.TmpDir, s.cfg.MaxRejectsInResult)
	defer rj.close()
	b := newBatch(schema, s.cfg.BatchRows)
	defer b.release()
	// Parquet encoding runs behind the row loop; the stage is stopped (deferred after the
	// Abort above, so run before it) before the writer is closed or aborted.
	wb := startWriteBehind(ctx, tw, writeBehindDepth)
	defer func() { _ = wb.stop() }()

	run := &res.Run
	vals := make([]value, entry.Items.Len())
	var problems []Reject
	invalid := 0 // rows rejected as invalid (not only out of the principal's scope)
	write := func() error {
		rec := b.flush()
		if rec == nil {
			return nil
		}
		if err := wb.send(ctx, rec); err != nil {
			return fmt.Errorf("write %s: %w", entry.Table, err)
		}
		return nil
	}
	for n := 0; ; n++ {
		if n%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("read %s: %w", sub.Filename, err)
			}
			tick.count(&res.Run)
		}
		rec, line, err := dec.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			var re *RecordError
			if !errors.As(err, &re) {
				return fmt.Errorf("read %s: %w", sub.Filename, err)
			}
			run.RowsRead++
			run.RowsRejected++
			invalid++
			if err := rj.add(Reject{Row: re.Line, Reason: re.Reason}); err != nil {
				return err
			}
			continue
		}
		if blankRecord(rec) {
			continue
		}
		run.RowsRead++
		problems = p.row(rec, line, vals, problems[:0])
		if len(problems) > 0 {
			invalid++
		}
		if inScope != nil && len(rec) == len(p.cols) {
			problems = inScope.check(p, line, rec, vals, problems)
		}
		if len(problems) > 0 {
			run.RowsRejected++
			for _, pr := range problems {
				if err := rj.add(pr); err != nil {
					return err
				}
			}
			continue
		}
		if keys != nil {
			rej, ok := keys.add(vals, line)
			if !ok {
				return schemas.Userf(ErrInvalidSubmission, "按主键更新一次最多 %d 行，本次报送超过此数：请分批报送", maxUpsertKeys)
			}
			if rej != nil {
				invalid++
				run.RowsRejected++
				if err := rj.add(*rej); err != nil {
					return err
				}
				continue
			}
		}
		b.append(vals)
		run.RowsAccepted++
		pis.note(vals)
		prof.note(vals)
		if period >= 0 && !vals[period].null {
			res.Period.note(vals[period].t)
			// Only a replacement needs each period it replaces; past the bound it is refused anyway.
			if sub.Replace && !res.periods.overflow {
				res.periods.note(vals[period].t)
			}
		}
		if b.rows >= s.cfg.BatchRows {
			if err := write(); err != nil {
				return err
			}
		}
	}
	if err := write(); err != nil {
		return err
	}
	res.PIProposals = pis.proposals(p)
	res.profile = prof
	res.Source = hex.EncodeToString(digest.Sum(nil)) // the whole file was read
	run.Bytes = body.n.Load()
	if hs != nil {
		run.Bytes = hs.bytes
	}
	if sub.stream != nil {
		res.Run.Watermark = sub.stream.Watermark()
		if run.RowsRead == 0 {
			// Nothing newer than the watermark: a pull that finds nothing is no failure.
			res.Unchanged = true
			run.Status = catalog.RunUnchanged
			run.Error = ReasonNoNewRecords
			run.FinishedAt = s.now()
			return s.finishUnchanged(ctx, *run)
		}
	}
	tick.count(&res.Run)
	if err := wb.stop(); err != nil {
		return fmt.Errorf("write %s: %w", entry.Table, err)
	}

	// A file with too many invalid rows is not loaded at all: its good rows are likely not what
	// the district meant to send either (a shifted column, a wrong template). Rows refused only
	// because they are another district's do not count: a district may send a shared template.
	share := rejectedShare(entry, s.cfg.MaxRejectedShare) // the entry's own threshold, if set
	tooMany := run.RowsAccepted > 0 && float64(invalid) > share*float64(run.RowsRead)
	var files []lake.DataFile
	if run.RowsAccepted > 0 && !tooMany {
		closed = true
		if files, err = tw.Close(ctx); err != nil {
			tw.Abort()
			return fmt.Errorf("close %s: %w", entry.Table, err)
		}
	}
	res.Rejects, res.problems = rj.kept, rj.count
	key := lake.RejectsKey(entry.Table, run.ID)
	if ok, err := rj.upload(ctx, s.bucket, key); err != nil {
		return err
	} else if ok {
		run.RejectedKey = key
	}

	if run.RowsAccepted == 0 || tooMany {
		run.Status = catalog.RunFailed
		run.Error = ReasonNoValidRows
		if tooMany {
			run.Error = fmt.Sprintf("%d 行数据有误，占读取行数的 %s，超过允许的 %s：本次报送未入库，请按拒收明细修正后重新报送",
				invalid, percent(float64(invalid)/float64(run.RowsRead)), percent(share))
		}
		run.FinishedAt = s.now()
		return s.failRun(ctx, *run)
	}
	run.Status = catalog.RunSucceeded
	if run.RowsRejected > 0 {
		run.Status = catalog.RunPartial
	}
	snap, err := s.commit(ctx, entry, sub, res, files)
	if errors.Is(err, errDuplicate) {
		// Its data files were written before the file was known to be one loaded already:
		// unreferenced, they go with the lake's garbage collection.
		res.Duplicate, res.Unchanged = true, true
		run.Status = catalog.RunUnchanged
		run.Error = fmt.Sprintf("重复报送：文件内容与此前已入库的报送完全相同（SHA-256 %s…），本次未重复入库，数据保持不变", res.Source[:12])
		switch {
		case run.Kind == KindDerived:
			run.Error = fmt.Sprintf("加工结果与当前数据完全相同（SHA-256 %s…），本次未重复入库，数据保持不变", res.Source[:12])
		case sub.stream != nil:
			run.Error = fmt.Sprintf("重复归集：拉取的记录与此前已入库的一次归集完全相同（SHA-256 %s…），本次未重复入库，数据保持不变", res.Source[:12])
		}
		run.FinishedAt = s.now()
		return s.finishUnchanged(ctx, *run)
	}
	if err != nil {
		return err
	}
	res.Snapshot = snap
	return nil
}

// ReasonNoNewRecords is the note of a pull that found no record newer than its watermark.
const ReasonNoNewRecords = "无新数据：数据源没有比上次归集更新的记录，本次未入库"

// hashed feeds every record a Decoder returns into h, each field length-prefixed so that
// ["ab","c"] and ["a","bc"] differ.
type hashed struct {
	Decoder
	h     hash.Hash
	buf   []byte
	bytes int64 // the records' text read, for the run's Bytes
}

func (d *hashed) Next() ([]string, int, error) {
	rec, line, err := d.Decoder.Next()
	if err == nil {
		d.buf = d.buf[:0]
		for _, f := range rec {
			d.buf = binary.AppendUvarint(d.buf, uint64(len(f)))
			d.buf = append(d.buf, f...)
		}
		d.buf = binary.AppendUvarint(d.buf, uint64(len(rec)))
		d.h.Write(d.buf)
		d.bytes += int64(len(d.buf))
	}
	return rec, line, err
}

// errDuplicate is commitOnce's answer for a file the entry's snapshot already holds.
var errDuplicate = errors.New("duplicate submission")

// percent writes a share as a percentage for a message: 5%, 12.5%.
func percent(share float64) string {
	// Rounded to a millionth of a percent: an entry's 7% is 0.07 here, which times 100 is not 7.
	return strconv.FormatFloat(math.Round(share*100*1e6)/1e6, 'f', -1, 64) + "%"
}
