package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"time"

	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/schemas"
)

// Writes go to the leader at the HTTP level: a node that is not the ready leader passes every
// request that may change the catalogue (any method but GET, HEAD and OPTIONS, except a GraphQL
// POST that holds no mutation) to the leader's HTTP address as it came, the caller's token with
// it, so the leader authenticates and authorises it exactly as if it had been sent there. The
// forwarding stays below the doors: no door learns of the cluster, and a submission's upload
// streams through. A forwarded request carries X-Ecolake-Forwarded; a node that gets one while it
// is not the leader refuses it instead of passing it on again.
//
// Reads are served from the local catalogue: a follower may lag the leader by what it has not yet
// applied (normally a heartbeat, longer when it was cut off). Every answer carries
// X-Ecolake-Index, the catalogue index the node had reached when the answer began (at least the
// index of the state a read was answered from, and after a write one that includes it); a read sent with X-Ecolake-Min-Index: n waits until the node has applied index n (at most
// ClusterConfig.MinIndexWait, then 503), so a client reads its own writes, or anything it has
// seen, on any node: clients that pass on the highest index any of them got back, from writes and
// reads alike, see one linearizable history (the cluster test checks it).

const (
	headerIndex     = "X-Ecolake-Index"
	headerMinIndex  = "X-Ecolake-Min-Index"
	headerForwarded = "X-Ecolake-Forwarded"
	// maxGraphQLPeek bounds the GraphQL body read to tell a mutation from a query.
	maxGraphQLPeek = 8 << 20
)

// clusterRoutes wraps the service's routes with forwarding and the read index on a clustered
// node; a single node's routes are returned as they are.
func (a *App) clusterRoutes(h http.Handler) http.Handler {
	if !a.cfg.Cluster.replicated() {
		return h
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/cluster", a.handleClusterStatus)
	if a.cfg.Cluster.Enabled {
		mux.HandleFunc("GET /api/v1/cluster/checkpoint", a.handleCheckpoint)
		mux.HandleFunc("GET /api/v1/cluster/feed", a.handleFeed)
	}
	mux.Handle("/", a.forwardWrites(h))
	return mux
}

// clusterPrincipal resolves the bearer token of a cluster door and asks may; it answers the
// request and returns false when there is none or may refuses it.
func (a *App) clusterPrincipal(w http.ResponseWriter, r *http.Request, may func(*catalog.Principal) bool, refusal string) bool {
	p := api.BearerPrincipal(a.Cat.View(), r, time.Now())
	if p == nil {
		api.WriteError(w, a.log, schemas.Userf(schemas.ErrUnauthenticated, "未认证: 请在 Authorization 头中提供有效的 Bearer 令牌"))
		return false
	}
	if !may(p) {
		api.WriteError(w, a.log, schemas.Userf(schemas.ErrForbidden, "%s", refusal))
		return false
	}
	return true
}

func (a *App) forwardWrites(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write, err := mayWrite(r)
		if err != nil {
			api.WriteError(w, a.log, err)
			return
		}
		if !write {
			if !a.waitMinIndex(w, r) {
				return
			}
			h.ServeHTTP(&indexWriter{ResponseWriter: w, cat: a.Cat}, r)
			return
		}
		if a.cfg.Cluster.Query {
			a.forwardFromQueryNode(w, r)
			return
		}
		st := a.Cat.Cluster()
		if st.Ready {
			h.ServeHTTP(&indexWriter{ResponseWriter: w, cat: a.Cat}, r)
			return
		}
		if r.Header.Get(headerForwarded) != "" || st.LeaderID == "" || st.LeaderID == st.NodeID {
			api.WriteError(w, a.log, catalog.ErrNotLeader)
			return
		}
		target, ok := a.cfg.Cluster.peerHTTP(st.LeaderID)
		if !ok {
			api.WriteError(w, a.log, catalog.ErrNotLeader)
			return
		}
		proxy := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(target)
				pr.SetXForwarded()
				pr.Out.Header.Set(headerForwarded, a.cfg.Cluster.NodeID)
			},
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				a.log.Warn("cluster: forward to leader failed", "leader", st.LeaderID, "err", err)
				var op *net.OpError
				if errors.As(err, &op) && op.Op == "dial" {
					api.WriteError(w, a.log, catalog.ErrNotLeader) // never reached it
					return
				}
				// The leader may have taken the write before the connection broke.
				api.WriteError(w, a.log, catalog.ErrOutcomeUnknown)
			},
		}
		proxy.ServeHTTP(w, r)
	})
}

// waitMinIndex holds a read carrying X-Ecolake-Min-Index until the catalogue has reached it; it
// answers the request and returns false when the index is malformed or not reached in time.
func (a *App) waitMinIndex(w http.ResponseWriter, r *http.Request) bool {
	v := r.Header.Get(headerMinIndex)
	if v == "" {
		return true
	}
	idx, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	if err != nil {
		api.WriteError(w, a.log, schemas.Userf(schemas.ErrInvalid, "请求头 %s 应为非负整数 (写入时应答头 %s 给出的目录版本)", headerMinIndex, headerIndex))
		return false
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.Cluster.MinIndexWait)
	defer cancel()
	if err := a.Cat.WaitIndex(ctx, idx); err != nil {
		api.WriteError(w, a.log, schemas.Userf(schemas.ErrBusy, "本节点的目录在 %s 内未追上所要求的版本 %d (当前 %d), 请稍后重试或改向其他节点读取",
			a.cfg.Cluster.MinIndexWait, idx, a.Cat.Index()))
		return false
	}
	return true
}

// mayWrite tells a request that may change the catalogue from a read.
func mayWrite(r *http.Request) (bool, error) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false, nil
	}
	if r.URL.Path != "/graphql" || r.Method != http.MethodPost {
		return true, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxGraphQLPeek+1))
	if err != nil {
		return false, schemas.Userf(schemas.ErrInvalid, "无法读取请求体")
	}
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if len(body) > maxGraphQLPeek {
		return true, nil // the leader answers it, or refuses it, as it would any
	}
	var req struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
	}
	if json.Unmarshal(body, &req) != nil {
		return true, nil
	}
	doc, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(req.Query)})})
	if err != nil {
		return false, nil // a syntax error is answered locally, as any node would answer it
	}
	for _, d := range doc.Definitions {
		op, ok := d.(*ast.OperationDefinition)
		if !ok || op.Operation != ast.OperationTypeMutation {
			continue
		}
		if req.OperationName == "" || (op.Name != nil && op.Name.Value == req.OperationName) {
			return true, nil
		}
	}
	return false, nil
}

// indexWriter sets X-Ecolake-Index as the answer of a write begins: the catalogue's index then
// includes whatever the request committed.
type indexWriter struct {
	http.ResponseWriter
	cat     *catalog.Store
	written bool
}

func (w *indexWriter) WriteHeader(code int) {
	if !w.written {
		w.written = true
		w.Header().Set(headerIndex, strconv.FormatUint(w.cat.Index(), 10))
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *indexWriter) Write(b []byte) (int, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *indexWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *indexWriter) Flush() {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// clusterStatus is the answer of GET /api/v1/cluster.
type clusterStatus struct {
	Node         string `json:"node"`
	State        string `json:"state"`
	Leader       string `json:"leader"`
	Ready        bool   `json:"ready"`
	Term         uint64 `json:"term"`
	CommitIndex  uint64 `json:"commitIndex"`
	AppliedIndex uint64 `json:"appliedIndex"`
	LastContact  string `json:"lastContact"`
	Index        uint64 `json:"index"`
	Digest       string `json:"digest"`
}

// handleClusterStatus answers GET /api/v1/cluster: this node's raft state and a digest of its
// whole catalogue, to compare nodes (after X-Ecolake-Min-Index, as any read). Only a principal
// catalog.MayInspectCluster allows.
func (a *App) handleClusterStatus(w http.ResponseWriter, r *http.Request) {
	if !a.waitMinIndex(w, r) { // first: the caller's token may be in what it waits for
		return
	}
	if !a.clusterPrincipal(w, r, catalog.MayInspectCluster, "无权查看目录集群状态: 仅限可见核心数据的系统管理员") {
		return
	}
	st := a.Cat.Cluster()
	idx, digest, err := a.Cat.StateDigest()
	if err != nil {
		api.WriteError(w, a.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(clusterStatus{Node: st.NodeID, State: st.State, Leader: st.LeaderID, Ready: st.Ready,
		Term: st.Term, CommitIndex: st.CommitIndex, AppliedIndex: st.AppliedIndex, LastContact: st.LastContact.String(),
		Index: idx, Digest: digest})
}
