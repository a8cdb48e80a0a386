package ingest

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
)

// memSource is a connector over records held in the test process, for the pull and scheduler
// tests of this package: the real connectors (ingest/rest, ingest/postgres) are tested against
// real servers in their own packages. Its records are the test entry's items; measured_at is the
// watermark.
type memStore struct {
	mu      sync.Mutex
	header  []string
	rows    [][]string
	failOn  int           // fail the read when it reaches this record (0: never)
	failErr error         // what the failing read returns
	blockAt int           // block the read at this record until unblock is closed (0: never)
	reached chan struct{} // closed when a read reaches blockAt
	unblock chan struct{}
}

var memStores sync.Map // name → *memStore

func init() {
	Register(Connector{
		Spec: Spec{Kind: "memtest", Title: "测试数据源", Description: "测试用的内存数据源", Fields: []SpecField{
			{Key: "name", Type: TypeString, Required: true, Title: "名称", Description: "数据源名称"},
			{Key: "token", Type: TypeSecret, Title: "令牌", Description: "访问令牌"},
			{Key: "page_size", Type: TypeInt, Default: "100", Title: "每页条数", Description: "每页条数", Min: 1, Max: 1000},
		}},
		New: func(s Settings) (Source, error) { return &memSource{name: s.String("name")}, nil },
	})
}

func newMemStore(name string) *memStore {
	st := &memStore{header: []string{"station_code", "district", "sample_date", "pm25", "measured_at"}}
	memStores.Store(name, st)
	return st
}

func (st *memStore) add(rows ...[]string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.rows = append(st.rows, rows...)
}

type memSource struct{ name string }

func (m *memSource) Describe() string { return "memtest " + m.name }

func (m *memSource) Read(ctx context.Context, since string) (Stream, error) {
	v, ok := memStores.Load(m.name)
	if !ok {
		return nil, fmt.Errorf("memtest %s: no such store", m.name)
	}
	st := v.(*memStore)
	st.mu.Lock()
	defer st.mu.Unlock()
	wm := slices.Index(st.header, "measured_at")
	var rows [][]string
	for _, r := range st.rows {
		if r[wm] > since {
			rows = append(rows, r)
		}
	}
	return &memStream{ctx: ctx, st: st, header: st.header, rows: rows, wm: wm, mark: since,
		failOn: st.failOn, failErr: st.failErr, blockAt: st.blockAt}, nil
}

type memStream struct {
	ctx     context.Context
	st      *memStore
	header  []string
	rows    [][]string
	wm      int
	mark    string
	n       int
	failOn  int
	failErr error
	blockAt int
}

func (s *memStream) Encoding() string  { return EncodingUTF8 }
func (s *memStream) Watermark() string { return s.mark }
func (s *memStream) Close() error      { return nil }

func (s *memStream) Next() ([]string, int, error) {
	if err := s.ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.n++
	if s.n == 1 {
		return s.header, 1, nil
	}
	i := s.n - 2
	if s.failOn > 0 && i == s.failOn {
		return nil, 0, s.failErr
	}
	if s.blockAt > 0 && i == s.blockAt {
		close(s.st.reached)
		select {
		case <-s.st.unblock:
		case <-s.ctx.Done():
			return nil, 0, s.ctx.Err()
		}
	}
	if i >= len(s.rows) {
		return nil, 0, io.EOF
	}
	r := s.rows[i]
	if r[s.wm] > s.mark {
		s.mark = r[s.wm]
	}
	return r, s.n, nil
}
