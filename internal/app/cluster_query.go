package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/api"
)

// A query node (serve --role query) is stateless: its catalogue is a replica in memory
// (catalog.Config.Replica), made from a cluster node's checkpoint and kept up by that node's feed
// of applied batches (GET /api/v1/cluster/checkpoint and /feed, for a principal
// catalog.MayFollowCatalogue allows: the node is given such a token). It answers reads from the
// replica (X-Ecolake-Min-Index waits for it, as on a cluster node) and passes writes on to a
// cluster node, which passes them to the leader. Query nodes can be added and removed behind a
// load balancer without telling the cluster: they only read from it. Its lake cache and
// scratch files live under --data; nothing of it needs to survive a restart.

const (
	feedWait    = 10 * time.Second
	followRetry = 500 * time.Millisecond
)

// handleCheckpoint streams a checkpoint of this node's catalogue; X-Ecolake-Index is its index.
func (a *App) handleCheckpoint(w http.ResponseWriter, r *http.Request) {
	if !a.clusterPrincipal(w, r, catalog.MayFollowCatalogue, "无权读取目录副本: 仅限可见核心数据的系统管理员 (查询节点所用的令牌)") {
		return
	}
	// Spooled to a file first: the index goes in a header, before the body, and a province's
	// checkpoint is about a gigabyte, which is not held in memory for each reader.
	f, err := os.CreateTemp(a.cfg.tmpDir(), "checkpoint-*.spool")
	if err != nil {
		api.WriteError(w, a.log, fmt.Errorf("spool checkpoint: %w", err))
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	idx, err := a.Cat.WriteCheckpoint(f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		api.WriteError(w, a.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set(headerIndex, strconv.FormatUint(idx, 10))
	_, _ = io.Copy(w, f)
}

// handleFeed answers the framed records applied after ?after=, waiting up to ?wait= (at most
// feedWait) for some; 404 when they are no longer kept (fetch a checkpoint).
func (a *App) handleFeed(w http.ResponseWriter, r *http.Request) {
	if !a.clusterPrincipal(w, r, catalog.MayFollowCatalogue, "无权读取目录副本: 仅限可见核心数据的系统管理员 (查询节点所用的令牌)") {
		return
	}
	after, err := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	if err != nil {
		http.Error(w, "after 应为非负整数", http.StatusBadRequest)
		return
	}
	wait := feedWait
	if d, err := time.ParseDuration(r.URL.Query().Get("wait")); err == nil && d >= 0 && d < wait {
		wait = d
	}
	frames, last, err := a.Cat.Feed(r.Context(), after, wait)
	if err != nil {
		api.WriteError(w, a.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set(headerIndex, strconv.FormatUint(last, 10))
	_, _ = w.Write(frames)
}

// followCatalogue keeps the replica up with the cluster until the returned stop is called.
func (a *App) followCatalogue(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f := follower{a: a, client: &http.Client{Timeout: feedWait + 20*time.Second}}
		f.run(ctx)
	}()
	return func() { cancel(); <-done }
}

type follower struct {
	a      *App
	client *http.Client
	peer   int
}

func (f *follower) run(ctx context.Context) {
	fresh := true // a checkpoint is needed
	for ctx.Err() == nil {
		peer := f.a.cfg.Cluster.Peers[f.peer%len(f.a.cfg.Cluster.Peers)]
		var err error
		if fresh {
			err = f.checkpoint(ctx, peer.HTTP)
			fresh = err != nil
		} else {
			err = f.feed(ctx, peer.HTTP)
			if errors.Is(err, catalog.ErrFeedGone) {
				f.a.log.Info("query node: feed no longer holds our index; fetching a checkpoint", "peer", peer.ID, "index", f.a.Cat.Index())
				fresh = true
				continue
			}
		}
		if err != nil && ctx.Err() == nil {
			f.a.log.Warn("query node: following the catalogue", "peer", peer.ID, "err", err)
			f.peer++
			select {
			case <-ctx.Done():
			case <-time.After(followRetry):
			}
		}
	}
}

func (f *follower) get(ctx context.Context, base, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+f.a.cfg.Cluster.FollowToken)
	return f.client.Do(req)
}

func (f *follower) checkpoint(ctx context.Context, base string) error {
	resp, err := f.get(ctx, base, "/api/v1/cluster/checkpoint")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("checkpoint: %s: %s", resp.Status, msg)
	}
	idx, err := f.a.Cat.InstallCheckpoint(resp.Body)
	if err == nil {
		f.a.log.Info("query node: catalogue installed from a checkpoint", "index", idx)
	}
	return err
}

func (f *follower) feed(ctx context.Context, base string) error {
	after := f.a.Cat.Index()
	resp, err := f.get(ctx, base, "/api/v1/cluster/feed?after="+strconv.FormatUint(after, 10)+"&wait="+feedWait.String())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return catalog.ErrFeedGone
	default:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("feed: %s: %s", resp.Status, msg)
	}
	frames, err := io.ReadAll(io.LimitReader(resp.Body, maxFeedBytes+1))
	if err != nil || len(frames) == 0 {
		return err
	}
	if len(frames) > maxFeedBytes {
		return fmt.Errorf("feed: more than %d bytes in one answer", maxFeedBytes)
	}
	return f.a.Cat.ApplyFeed(frames)
}

// maxFeedBytes bounds one answer of the feed a query node reads: a node sends about 8 MiB of
// batches at most (catalog.Store.Feed), one batch more than that only as large as a write's.
const maxFeedBytes = 64 << 20

// queryForward is the cluster node a query node passes writes to: the last that answered.
var queryForward atomic.Int64

var queryProxies sync.Map // peer URL → *httputil.ReverseProxy

// forwardFromQueryNode passes a write on to a cluster node, which passes it to the leader. A
// node that cannot be reached is refused as not sent (ErrNotLeader: send it again) and the next
// one is tried for the next write.
func (a *App) forwardFromQueryNode(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(headerForwarded) != "" {
		api.WriteError(w, a.log, catalog.ErrNotLeader)
		return
	}
	peers := a.cfg.Cluster.Peers
	at := int(queryForward.Load()) % len(peers)
	target, err := url.Parse(peers[at].HTTP)
	if err != nil {
		api.WriteError(w, a.log, err)
		return
	}
	p, _ := queryProxies.LoadOrStore(target.String(), &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			var op *net.OpError
			if errors.As(err, &op) && op.Op == "dial" {
				queryForward.CompareAndSwap(int64(at), int64((at+1)%len(peers)))
				api.WriteError(w, a.log, catalog.ErrNotLeader)
				return
			}
			api.WriteError(w, a.log, catalog.ErrOutcomeUnknown)
		},
	})
	p.(*httputil.ReverseProxy).ServeHTTP(w, r)
}
