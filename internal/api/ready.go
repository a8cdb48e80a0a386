package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cqeco/ecolake/audit"
)

// GET /readyz: 200 "ready" only when the service can answer — the catalogue is open with its
// journal replayed and writable, the lake answers a probe, and the GraphQL schema is built —
// else 503 with each check and, for a failing one, why. No token is needed, so the answer says
// nothing about the directory (no entry, no count) nor where the lake is: the probe's own error
// goes to the log. /healthz stays "the process is alive".

// Prober is a bucket that can say whether it is reachable (lake/local and lake/s3 buckets).
type Prober interface {
	Probe(ctx context.Context) error
}

// Bounds of the lake probe: each probe may take probeTimeout, and its result serves the
// readiness checks of probeTTL, so that a flood of /readyz does not become a flood of requests
// to the object store.
var (
	probeTimeout = 2 * time.Second
	probeTTL     = time.Second
)

// lakeProbe runs the bucket's probe at most once per probeTTL; callers that come while one
// runs wait for its result.
type lakeProbe struct {
	p   Prober
	now func() time.Time

	mu  sync.Mutex
	at  time.Time // when the cached result was taken; zero: none
	err error
}

func (l *lakeProbe) check(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.at.IsZero() && l.now().Sub(l.at) < probeTTL {
		return l.err
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	defer cancel()
	l.err = l.p.Probe(pctx)
	if l.err != nil && pctx.Err() != nil {
		l.err = errors.Join(l.err, context.DeadlineExceeded)
	}
	l.at = l.now()
	return l.err
}

// readyCheck is one line of the readiness answer.
type readyCheck struct {
	name   string // Chinese name and the check's key
	reason string // "" when it passes; Chinese, without internals
}

// readiness runs the checks of /readyz over the server's parts.
func (s *Server) readiness(ctx context.Context) []readyCheck {
	var out []readyCheck
	cat := readyCheck{name: "目录库 (catalog)"}
	switch {
	case s.Cat == nil || s.Cat.Closed():
		cat.reason = "目录库未打开或已关闭"
	case s.Cat.Stats().JournalFailed:
		cat.reason = "日志写入或落盘失败, 目录库拒绝写入, 需重启服务"
	}
	out = append(out, cat)
	if s.Cat != nil && s.Cat.Cluster().Replica && s.Cat.Index() == 0 {
		out = append(out, readyCheck{name: "目录副本 (replica)", reason: "查询节点尚未从目录集群取得目录"})
	}
	if s.Cat != nil && s.Cat.Cluster().Clustered {
		cl := readyCheck{name: "目录集群 (raft)"}
		if s.Cat.Cluster().LeaderID == "" {
			cl.reason = "目录集群尚无主节点 (正在选举或多数节点不可达), 暂不能写入"
		}
		out = append(out, cl)
	}
	if s.probe != nil {
		lk := readyCheck{name: "数据湖 (lake)"}
		if err := s.probe.check(ctx); err != nil {
			lk.reason = "数据湖不可访问: 探测失败"
			if errors.Is(err, context.DeadlineExceeded) {
				lk.reason = "数据湖不可访问: 探测超时 (" + probeTimeout.String() + ")"
			}
			if s.Log != nil {
				s.Log.WarnContext(ctx, "readiness: lake probe failed", "request", audit.RequestID(ctx), "err", Detail(err))
			}
		}
		out = append(out, lk)
	}
	if s.Query != nil {
		sc := readyCheck{name: "查询模式 (schema)"}
		if !s.Query.SchemaReady() {
			sc.reason = "GraphQL 模式尚未构建或查询服务已关闭"
		}
		out = append(out, sc)
	}
	return out
}

// handleReady answers /readyz.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	checks := s.readiness(r.Context())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	var b strings.Builder
	ready := true
	for _, c := range checks {
		b.WriteString(c.name)
		if c.reason == "" {
			b.WriteString(": 正常\n")
			continue
		}
		ready = false
		b.WriteString(": " + c.reason + "\n")
	}
	if ready {
		_, _ = io.WriteString(w, "ready\n")
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, "未就绪 (not ready)\n"+b.String())
}
