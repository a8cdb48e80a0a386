package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"github.com/cqeco/ecolake/schemas"
	"io"
)

// csvDecoder reads separated text (comma, tab or semicolon), UTF-8 or GB18030, one record at a
// time.
type csvDecoder struct {
	r        *csv.Reader
	encoding string
	comma    rune
}

// NewCSVDecoder detects the encoding and the separator from the first bytes and streams the
// records. Rows with a different number of fields than the header are returned as they are:
// deciding what is wrong with them is the validator's job, so that they end up as rejects.
func NewCSVDecoder(r io.Reader) (Decoder, error) {
	text, enc, err := decodeText(r)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(&lineLimiter{r: text, max: MaxLineBytes}, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err // the line limiter's message, or the read's
	}
	cr := csv.NewReader(br)
	cr.Comma = sniffDelimiter(head)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &csvDecoder{r: cr, encoding: enc, comma: cr.Comma}, nil
}

func (d *csvDecoder) Encoding() string { return d.encoding }

// Delimiter is the Chinese name of the separator when it is not the comma.
func (d *csvDecoder) Delimiter() string { return delimiterName(d.comma) }

func (d *csvDecoder) Next() ([]string, int, error) {
	rec, err := d.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.StartLine, &RecordError{Line: pe.StartLine, Reason: csvReason(pe), Err: err}
		}
		if errors.Is(err, io.EOF) {
			return nil, 0, io.EOF
		}
		return nil, 0, fmt.Errorf("read csv: %w", err)
	}
	line, _ := d.r.FieldPos(0)
	return rec, line, nil
}

func csvReason(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		if pe.Line > pe.StartLine {
			return fmt.Sprintf("引号不成对（第 %d 行至第 %d 行无法拆分为字段）", pe.StartLine, pe.Line)
		}
		return "引号不成对，无法拆分为字段"
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return "字段中有未转义的双引号（字段应整体加引号，内部的引号写作两个双引号）"
	}
	return "无法按 CSV 格式拆分为字段"
}

// MaxLineBytes bounds one physical line of a submitted text file. encoding/csv holds a whole
// record in memory, so without a bound a file of one endless line (a header of a million columns
// sent as one line) would be read whole before any check could refuse it.
const MaxLineBytes = 16 << 20

// lineLimiter fails the read once a line grows beyond max bytes. It only looks for line ends
// (memchr-fast), so the cost per byte is negligible.
type lineLimiter struct {
	r    io.Reader
	max  int
	run  int // bytes since the last line end
	line int // lines completed
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for b := p[:n]; len(b) > 0; {
		i := bytes.IndexByte(b, '\n')
		seg := len(b)
		if i >= 0 {
			seg = i
		}
		if l.run+seg > l.max {
			return 0, schemas.Userf(ErrInvalidSubmission, "第 %d 行超过 %d MiB，文件无法按行读取（是否缺少换行符？）", l.line+1, l.max>>20)
		}
		if i < 0 {
			l.run += seg
			break
		}
		l.run = 0
		l.line++
		b = b[i+1:]
	}
	return n, err
}
