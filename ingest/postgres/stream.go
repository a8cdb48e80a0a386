package postgres

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cqeco/ecolake/ingest"
)

// stream reads the cursor a batch at a time. Values arrive in the server's text form, which is
// already what the entry's items parse for nearly every type (integers and numerics exact, floats
// shortest, dates and timestamps ISO): render fixes the rest.
type stream struct {
	// ctx is Read's: the Decoder's Next takes none, and the whole read belongs to that call.
	ctx    context.Context
	src    *Source
	conn   *pgx.Conn // nil once released
	rr     *pgconn.ResultReader
	kinds  []kind // how each column's text is rendered, from the first batch's description
	rec    []string
	line   int
	inRR   int  // rows read from the current batch
	done   bool // the cursor is exhausted
	err    error
	mark   string
	closed bool
}

func newStream(ctx context.Context, src *Source, conn *pgx.Conn, since string) *stream {
	return &stream{ctx: ctx, src: src, conn: conn, mark: since, rec: make([]string, len(src.c.fields))}
}

// Encoding is the connection's: the client encoding is always UTF-8.
func (st *stream) Encoding() string { return ingest.EncodingUTF8 }

// Watermark is the watermark column's text in the last row read (rows come in its order): the
// server's own form, which it parses back exactly (a timestamptz keeps its offset and
// microseconds), or the since of the read when no row was read.
func (st *stream) Watermark() string { return st.mark }

// Next returns the header (the mapping's item fields), then one record per row.
func (st *stream) Next() ([]string, int, error) {
	if st.err != nil {
		return nil, st.line, st.err
	}
	if st.line == 0 {
		st.line = 1
		copy(st.rec, st.src.c.fields)
		return st.rec, 1, nil
	}
	if err := st.ctx.Err(); err != nil {
		return nil, st.line, st.stop(fmt.Errorf("postgres %s: read: %w", st.src.c.addr(), err))
	}
	for {
		if st.done {
			return nil, st.line, io.EOF
		}
		if st.rr == nil {
			st.rr = st.conn.PgConn().ExecParams(st.ctx, st.fetchSQL(), nil, nil, nil, nil)
			st.inRR = 0
		}
		if st.rr.NextRow() {
			if st.kinds == nil {
				st.kinds = kindsOf(st.rr.FieldDescriptions())
			}
			st.render(st.rr.Values())
			st.inRR++
			st.line++
			return st.rec, st.line, nil
		}
		_, err := st.rr.Close()
		st.rr = nil
		if err != nil {
			return nil, st.line, st.stop(st.src.fail(st.ctx, stageRead, err))
		}
		if st.inRR < st.src.c.batchRows {
			// A short batch is the last: let the connection go now, not when the load ends.
			st.done = true
			st.release()
		}
	}
}

func (st *stream) fetchSQL() string {
	return "FETCH FORWARD " + strconv.Itoa(st.src.c.batchRows) + " FROM " + cursorName
}

// render fills rec from one row's text values and notes the watermark.
func (st *stream) render(vals [][]byte) {
	for i, v := range vals {
		st.rec[i] = st.kinds[i].render(v)
	}
	if v := vals[st.src.c.watermark]; v != nil {
		st.mark = string(v)
	}
}

// stop ends the read with err: later calls return it too.
func (st *stream) stop(err error) error {
	st.err = err
	st.release()
	return err
}

// release closes the connection. A result still being read is not drained first: closing the
// connection ends it, and the server drops the transaction and cursor.
func (st *stream) release() {
	if st.conn == nil {
		return
	}
	closeConn(st.conn)
	st.conn, st.rr = nil, nil
}

// Close ends the read. Errors of saying goodbye to the server change nothing for the caller.
func (st *stream) Close() error {
	if !st.closed {
		st.closed = true
		st.release()
		if st.err == nil {
			st.err = fmt.Errorf("postgres %s: read after Close", st.src.c.addr())
		}
	}
	return nil
}

// kind is how one column's text is rendered.
type kind uint8

const (
	asIs        kind = iota
	boolean          // t/f → true/false
	timestampTZ      // the offset dropped: the wall clock is already in the session's time zone
)

func kindsOf(fds []pgconn.FieldDescription) []kind {
	out := make([]kind, len(fds))
	for i, fd := range fds {
		switch fd.DataTypeOID {
		case pgtype.BoolOID:
			out[i] = boolean
		case pgtype.TimestamptzOID:
			out[i] = timestampTZ
		}
	}
	return out
}

func (k kind) render(v []byte) string {
	if v == nil {
		return ""
	}
	switch k {
	case boolean:
		switch string(v) {
		case "t":
			return "true"
		case "f":
			return "false"
		}
	case timestampTZ:
		return wallClock(v)
	}
	return string(v)
}

// wallClock drops the UTC offset from a timestamptz's ISO text ("2025-03-01 08:00:00.5+08",
// "+05:30", "+08:05:43" for old local mean times), keeping an era suffix (" BC"); infinity and
// other forms are passed on as they are.
func wallClock(v []byte) string {
	const secondsEnd = len("2006-01-02 15:04:05")
	if len(v) <= secondsEnd || v[10] != ' ' {
		return string(v)
	}
	for i := secondsEnd; i < len(v); i++ {
		if v[i] == '+' || v[i] == '-' {
			j := i + 1
			for j < len(v) && (v[j] >= '0' && v[j] <= '9' || v[j] == ':') {
				j++
			}
			return string(v[:i]) + string(v[j:])
		}
	}
	return string(v)
}
