package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/ingest/ingesttest"
	_ "github.com/cqeco/ecolake/ingest/postgres"
)

// harness is a fresh table (code text, at <atType>, value numeric, note text) read by the reader
// role with the default sslmode (prefer, which falls back to plain text on the test server) and
// batches small enough that the suite's larger reads span several.
type harness struct {
	t      *testing.T
	table  string
	atType string
}

func (h *harness) Source(t *testing.T) ingest.Source {
	return open(t, config(server(t), h.table, "code=code; at=at; value=value; note=note", "at",
		map[string]string{"batch_rows": "700"}))
}

// Add inserts the records; At is Beijing wall clock, written with +08 into a timestamptz column.
func (h *harness) Add(t *testing.T, recs []ingesttest.Record) {
	codes, ats, values, notes := make([]string, len(recs)), make([]string, len(recs)), make([]string, len(recs)), make([]string, len(recs))
	for i, r := range recs {
		codes[i], values[i], notes[i] = r.Code, r.Value, r.Note
		ats[i] = r.At.Format("2006-01-02 15:04:05.999999")
		if h.atType == "timestamptz" {
			ats[i] += "+08"
		}
	}
	exec(t, admin(t), fmt.Sprintf(`INSERT INTO %s (code, at, value, note)
		SELECT c, a::%s, nullif(v, '')::numeric, nullif(n, '')
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(c, a, v, n)`, h.table, h.atType),
		codes, ats, values, notes)
}

func (h *harness) Secret() string { return readerPassword }

func TestSuite(t *testing.T) {
	for _, atType := range []string{"timestamp", "timestamptz"} {
		t.Run(atType, func(t *testing.T) {
			ingesttest.Run(t, func(t *testing.T) ingesttest.Harness {
				h := &harness{t: t, table: newTable("suite"), atType: atType}
				exec(t, admin(t), fmt.Sprintf("CREATE TABLE %s (code text, at %s, value numeric, note text)", h.table, atType))
				return h
			})
		})
	}
}

// TestCancelledBeforeRead: a read whose context is already over does not connect.
func TestCancelledBeforeRead(t *testing.T) {
	table := newTable("cancelled")
	exec(t, admin(t), fmt.Sprintf("CREATE TABLE %s (id int)", table))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := open(t, config(server(t), table, "id=id", "id", nil)).Read(ctx, "")
	require.ErrorIs(t, err, context.Canceled)
	require.NotContains(t, err.Error(), readerPassword)
}
