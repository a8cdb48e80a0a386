// Package ingesttest is the behavioural suite every connector passes, as lake/laketest is for
// every bucket: the header first, every record once, the watermark carrying a pull on from where
// the last one ended, cancellation, and no secret in what a source says of itself.
package ingesttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/schemas"
)

// Record is one record of the suite's data. A harness stores it the way its source holds data
// (a JSON object, a table row) under the item fields "code", "at", "value" and "note"; At is a
// wall-clock time (Beijing time, as the bureau's systems write it) and the watermark column.
type Record struct {
	Code  string
	At    time.Time
	Value string // a FLOAT item's text, "" for null
	Note  string // Chinese text, "" for null
}

// Fields are the item field identifiers a source of the suite must put in its header.
var Fields = []string{"code", "at", "value", "note"}

// Harness makes sources of one connector over data the test controls.
type Harness interface {
	// Source returns a source over the harness's data whose header holds Fields (in any order,
	// other fields allowed) and whose watermark follows At.
	Source(t *testing.T) ingest.Source
	// Add stores records; each one's At is later than that of every record stored before.
	Add(t *testing.T, recs []Record)
	// Secret is a secret of the source's configuration (a token, a password), or "" for none:
	// it must not appear in Describe nor in any error.
	Secret() string
}

// Run runs the suite against the harness made by newHarness, a fresh one (with no records) per
// subtest.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("Empty", func(t *testing.T) { testEmpty(t, newHarness(t)) })
	t.Run("AllThenNothing", func(t *testing.T) { testAllThenNothing(t, newHarness(t)) })
	t.Run("Incremental", func(t *testing.T) { testIncremental(t, newHarness(t)) })
	t.Run("Many", func(t *testing.T) { testMany(t, newHarness(t)) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, newHarness(t)) })
	t.Run("NoSecret", func(t *testing.T) { testNoSecret(t, newHarness(t)) })
}

// Records makes n records from start, a minute apart, with Chinese notes and some nulls.
func Records(start time.Time, n int) []Record {
	out := make([]Record, n)
	for i := range out {
		r := Record{
			Code:  fmt.Sprintf("ST%05d", i),
			At:    start.Add(time.Duration(i) * time.Minute),
			Value: fmt.Sprintf("%d.%02d", i%500, i%100),
			Note:  fmt.Sprintf("断面 %d 号，水质Ⅱ类", i),
		}
		if i%7 == 3 {
			r.Value = ""
		}
		if i%11 == 5 {
			r.Note = ""
		}
		out[i] = r
	}
	return out
}

var start = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// Read reads a whole stream of src since the watermark: the records by code, in the order read,
// and the stream's final watermark.
func Read(t *testing.T, ctx context.Context, src ingest.Source, since string) ([]Record, string) {
	t.Helper()
	st, err := src.Read(ctx, since)
	require.NoError(t, err, "read since %q", since)
	defer func() { require.NoError(t, st.Close()) }()
	require.Equal(t, ingest.EncodingUTF8, st.Encoding())
	head, line, err := st.Next()
	require.NoError(t, err, "the header")
	require.Equal(t, 1, line, "the header is record 1")
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, f := range Fields {
		require.Contains(t, col, f, "header %v lacks %s", head, f)
	}
	var out []Record
	for want := 2; ; want++ {
		rec, line, err := st.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Equal(t, want, line, "records are numbered in order")
		require.Len(t, rec, len(head), "record %d", line)
		at, err := schemas.ParseTimestamp(rec[col["at"]])
		require.NoError(t, err, "record %d: at", line)
		out = append(out, Record{Code: rec[col["code"]], At: at, Value: rec[col["value"]], Note: rec[col["note"]]})
	}
	return out, st.Watermark()
}

// sameRecords compares records as the entry's items read them: numbers by value.
func sameRecords(t *testing.T, want, got []Record) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		require.Equal(t, w.Code, g.Code, "record %d", i)
		require.True(t, w.At.Equal(g.At), "record %d at: want %s, got %s", i, w.At, g.At)
		require.Equal(t, w.Note, g.Note, "record %d note", i)
		if w.Value == "" {
			require.Empty(t, g.Value, "record %d value", i)
			continue
		}
		wv, err1 := schemas.ParseFloat(w.Value)
		gv, err2 := schemas.ParseFloat(g.Value)
		require.NoError(t, err1)
		require.NoError(t, err2, "record %d value %q", i, g.Value)
		require.Equal(t, wv, gv, "record %d value", i)
	}
}

func testEmpty(t *testing.T, h Harness) {
	got, mark := Read(t, context.Background(), h.Source(t), "")
	require.Empty(t, got)
	require.Empty(t, mark, "no record read, no watermark")
}

func testAllThenNothing(t *testing.T, h Harness) {
	recs := Records(start, 25)
	h.Add(t, recs)
	src := h.Source(t)
	got, mark := Read(t, context.Background(), src, "")
	sameRecords(t, recs, byCode(got, recs))
	require.NotEmpty(t, mark)
	again, mark2 := Read(t, context.Background(), src, mark)
	require.Empty(t, again, "nothing is newer than the watermark")
	require.Equal(t, mark, mark2, "a read of nothing keeps the watermark")
}

func testIncremental(t *testing.T, h Harness) {
	first := Records(start, 10)
	h.Add(t, first)
	src := h.Source(t)
	_, mark := Read(t, context.Background(), src, "")
	more := Records(start.Add(24*time.Hour), 7)
	for i := range more {
		more[i].Code = "NEW" + more[i].Code
	}
	h.Add(t, more)
	got, mark2 := Read(t, context.Background(), src, mark)
	sameRecords(t, more, byCode(got, more))
	require.NotEqual(t, mark, mark2, "the watermark moved on")
	all, _ := Read(t, context.Background(), src, "")
	require.Len(t, all, len(first)+len(more), "a read from the start still reads everything")
}

// testMany reads more records than any page or batch of a connector holds at once.
func testMany(t *testing.T, h Harness) {
	recs := Records(start, 2500)
	h.Add(t, recs)
	got, _ := Read(t, context.Background(), h.Source(t), "")
	sameRecords(t, recs, byCode(got, recs))
}

func testCancel(t *testing.T, h Harness) {
	h.Add(t, Records(start, 2500))
	ctx, cancel := context.WithCancel(context.Background())
	st, err := h.Source(t).Read(ctx, "")
	if err != nil {
		cancel()
		t.Fatalf("read: %v", err)
	}
	defer func() { require.NoError(t, st.Close()); require.NoError(t, st.Close(), "Close twice") }()
	_, _, err = st.Next()
	require.NoError(t, err)
	cancel()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case <-deadline:
			t.Fatal("the stream went on for 10 s after its context was cancelled")
		default:
		}
		_, _, err := st.Next()
		if err == nil {
			continue
		}
		require.ErrorIs(t, err, context.Canceled, "a cancelled read ends with the context's error, not EOF")
		return
	}
}

func testNoSecret(t *testing.T, h Harness) {
	secret := h.Secret()
	if secret == "" {
		t.Skip("the connector has no secret in its configuration")
	}
	src := h.Source(t)
	require.NotContains(t, src.Describe(), secret)
	require.NotEmpty(t, src.Describe())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if st, err := src.Read(ctx, "not a watermark of this source"); err != nil {
		require.NotContains(t, err.Error(), secret)
	} else {
		for {
			_, _, err := st.Next()
			if err != nil {
				require.NotContains(t, err.Error(), secret)
				break
			}
		}
		require.NoError(t, st.Close())
	}
}

// byCode orders got as want is ordered (a source need not keep its store's order); records of
// codes want lacks go last, for the length check to catch.
func byCode(got, want []Record) []Record {
	at := map[string]int{}
	for i, r := range want {
		at[r.Code] = i
	}
	out := make([]Record, len(want))
	var extra []Record
	filled := make([]bool, len(want))
	for _, r := range got {
		if i, ok := at[r.Code]; ok && !filled[i] {
			out[i], filled[i] = r, true
			continue
		}
		extra = append(extra, r)
	}
	for _, f := range filled {
		if !f {
			return got // a record is missing: the length or the values differ
		}
	}
	return append(out, extra...)
}
