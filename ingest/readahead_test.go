package ingest

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// step is one answer of a decoder: a record, a record error or a final error.
type step struct {
	rec  []string
	line int
	err  error
}

func drain(t *testing.T, d Decoder) []step {
	t.Helper()
	var out []step
	for {
		rec, line, err := d.Next()
		var re *RecordError
		if err != nil && !errors.As(err, &re) {
			out = append(out, step{err: err})
			return out
		}
		out = append(out, step{rec: append([]string(nil), rec...), line: line, err: err})
	}
}

// csvWithProblems has records across several chunks, broken quotes among them and blank lines.
func csvWithProblems(n int) string {
	var b strings.Builder
	b.WriteString("a,b,c\n")
	for i := range n {
		switch {
		case i%997 == 5:
			fmt.Fprintf(&b, "x%d,\"unterminated,%d\n", i, i) // bare quote run: a record error
		case i%501 == 7:
			b.WriteString("\n")
		case i%311 == 3:
			fmt.Fprintf(&b, "\"multi\nline %d\",b,c\n", i)
		default:
			fmt.Fprintf(&b, "r%d,%d,\"q,%d\"\n", i, i*3, i)
		}
	}
	return b.String()
}

func TestReadAheadSameAsDecoder(t *testing.T) {
	for _, n := range []int{0, 1, readAheadRecords - 1, readAheadRecords, readAheadRecords + 1, 5*readAheadRecords + 17} {
		data := csvWithProblems(n)
		plain, err := NewCSVDecoder(strings.NewReader(data))
		require.NoError(t, err)
		want := drain(t, plain)

		d, err := NewCSVDecoder(strings.NewReader(data))
		require.NoError(t, err)
		ra := startReadAhead(d)
		got := drain(t, ra)
		// After the end, the end is reported again.
		_, _, err = ra.Next()
		require.ErrorIs(t, err, io.EOF)
		ra.stop()
		ra.stop()
		assert.Equal(t, EncodingUTF8, ra.Encoding())
		require.Equal(t, len(want), len(got), "n=%d", n)
		for i := range want {
			assert.Equal(t, want[i].rec, got[i].rec, "n=%d record %d", n, i)
			assert.Equal(t, want[i].line, got[i].line, "n=%d record %d", n, i)
			if want[i].err == nil {
				assert.NoError(t, got[i].err)
			} else {
				assert.EqualError(t, got[i].err, want[i].err.Error())
			}
		}
	}
}

// errReader fails after its data.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func TestReadAheadReadError(t *testing.T) {
	boom := errors.New("connection reset")
	data := csvWithProblems(20000) // more than the encoding sniffer reads
	d, err := NewCSVDecoder(&errReader{r: strings.NewReader(data), err: boom})
	require.NoError(t, err)
	ra := startReadAhead(d)
	defer ra.stop()
	got := drain(t, ra)
	require.ErrorIs(t, got[len(got)-1].err, boom)
	assert.Greater(t, len(got), 19000)
}

func TestReadAheadStopEarly(t *testing.T) {
	// Stopped after a few records of a long file: stop returns without reading the rest.
	d, err := NewCSVDecoder(strings.NewReader(csvWithProblems(50 * readAheadRecords)))
	require.NoError(t, err)
	ra := startReadAhead(d)
	for range 10 {
		_, _, err := ra.Next()
		var re *RecordError
		if err != nil {
			require.ErrorAs(t, err, &re)
		}
	}
	ra.stop()

	// Stopped while the input blocks: stop waits for the read to return, then the goroutine
	// ends without reading further.
	pr, pw := io.Pipe()
	go func() { _, _ = pw.Write([]byte(csvWithProblems(20000))) }() // more than the sniffer reads
	d, err = NewCSVDecoder(pr)
	require.NoError(t, err)
	ra = startReadAhead(d)
	stopped := make(chan struct{})
	go func() {
		ra.stop()
		close(stopped)
	}()
	_ = pr.CloseWithError(errors.New("client went away"))
	<-stopped
}
