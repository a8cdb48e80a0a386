package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/cqeco/ecolake/schemas"
	"github.com/cqeco/ecolake/schemas/xlsxguard"
)

// Decoder reads the records of one submitted file, streaming: a format never holds the whole
// file in memory. CSV is the first format; spreadsheet formats implement the same interface.
type Decoder interface {
	// Next returns the next record and the line it starts on (the header is line 1). The slice
	// is only valid until the next call. A *RecordError reports a record that could not be
	// parsed; reading continues after it. io.EOF ends the file; any other error ends the read.
	Next() (rec []string, line int, err error)
	// Encoding names the detected text encoding: "UTF-8" or "GB18030".
	Encoding() string
}

// Options are what a submission tells the decoder beyond its bytes.
type Options struct {
	Sheet string           // the sheet of a workbook to read; "" for its only one
	XLSX  xlsxguard.Limits // what opening a workbook may cost
}

// Format opens a Decoder over the bytes of a submitted file. A Decoder that holds resources
// (temporary files) is an io.Closer too.
type Format func(r io.Reader, o Options) (Decoder, error)

// text reads separated text; a sheet is a workbook's, not a text file's.
func text(r io.Reader, o Options) (Decoder, error) {
	if strings.TrimSpace(o.Sheet) != "" {
		return nil, schemas.Userf(ErrInvalidSubmission, "只有 xlsx 工作簿才有工作表，文本文件不能指定工作表“%s”", quoteName(o.Sheet))
	}
	return NewCSVDecoder(r)
}

// formats maps lower-case file name extensions to the format that reads them.
var formats = map[string]Format{
	".csv":  text,
	".txt":  text,
	".tsv":  text,
	"":      text,
	".xlsx": NewXLSXDecoder,
}

// MaxColumns bounds the columns of a submitted file. No entry has nearly as many items; a header
// beyond it is refused before any row is read, so that a file of a million columns costs one
// short message, not one per column.
const MaxColumns = 4096

// maxNameInMessage bounds how much of a submitted name (file name, header cell) a message quotes.
const maxNameInMessage = 64

// quoteName clips a name taken from the submission for use in a message.
func quoteName(s string) string { return schemas.Clip(s, maxNameInMessage) }

// NewDecoder picks the format from the file name's extension.
func NewDecoder(filename string, r io.Reader, o Options) (Decoder, error) {
	ext := strings.ToLower(filepath.Ext(filename))
	f, ok := formats[ext]
	if !ok {
		return nil, schemas.Userf(ErrUnsupportedFormat, "%s: 不支持 %s 文件，请提交 CSV 或 xlsx（.xls 请另存为 .xlsx）", quoteName(filename), quoteName(ext))
	}
	return f(r, o)
}

// RecordError is a record the decoder could not parse; the rest of the file is still read.
type RecordError struct {
	Line   int    // line the record starts on
	Reason string // Chinese, for the rejected-rows file
	Err    error
}

func (e *RecordError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }
func (e *RecordError) Unwrap() error { return e.Err }

// Text encodings a submission may use.
const (
	EncodingUTF8    = "UTF-8"
	EncodingGB18030 = "GB18030"
)

// sniffSize is how much of the file decides its encoding; the header row is always within it.
const sniffSize = 64 << 10

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeText returns a reader of the file's text as UTF-8 and the encoding it was written in.
// UTF-8 (with or without BOM) is preferred; GB18030 (which includes GBK and GB2312) is the
// fallback used by spreadsheet programs on Chinese Windows.
func decodeText(r io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	atEOF := errors.Is(err, io.EOF)
	if err != nil && !atEOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, "", fmt.Errorf("read: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		_, _ = br.Discard(len(utf8BOM))
		return br, EncodingUTF8, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, "", schemas.Userf(ErrBadEncoding, "文件为 UTF-16 编码，请另存为 UTF-8 CSV")
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return nil, "", schemas.Userf(ErrBadEncoding, "第 %d 字节为 NUL，文件不是文本", i+1)
	}
	if validUTF8Prefix(head, atEOF) {
		return br, EncodingUTF8, nil
	}
	if validGB18030Prefix(head, atEOF) {
		return transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder()), EncodingGB18030, nil
	}
	return nil, "", schemas.Userf(ErrBadEncoding, "第 %d 字节起既不是 UTF-8 也不是 GB18030 文本", firstInvalidUTF8(head)+1)
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing a rune cut off at the end of the
// sniffed window when more of the file follows.
func validUTF8Prefix(b []byte, atEOF bool) bool {
	if !atEOF {
		for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
			if utf8.RuneStart(b[i]) {
				if !utf8.FullRune(b[i:]) {
					b = b[:i]
				}
				break
			}
		}
	}
	return utf8.Valid(b)
}

// validGB18030Prefix reports whether b decodes as GB18030 without replacement characters.
func validGB18030Prefix(b []byte, atEOF bool) bool {
	dst := make([]byte, 3*len(b)+utf8.UTFMax)
	n, _, err := simplifiedchinese.GB18030.NewDecoder().Transform(dst, b, atEOF)
	if err != nil && !errors.Is(err, transform.ErrShortSrc) {
		return false
	}
	return !bytes.ContainsRune(dst[:n], utf8.RuneError)
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// validText reports whether a decoded cell holds only text the encoding could decode. Bytes
// past the sniffed window can still be broken; such cells are rejected, never stored garbled.
func validText(encoding, s string) bool {
	if encoding == EncodingGB18030 {
		return !strings.ContainsRune(s, utf8.RuneError)
	}
	return utf8.ValidString(s)
}
