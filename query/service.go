// Package query is how data gets out: a GraphQL schema built at run time from the catalogue and
// swapped whole when it changes, resolvers that only translate arguments into a typed Plan, a SQL
// builder that turns a plan into a parameterised statement, and DuckDB running it over the Parquet
// files of the snapshot that was current when the request started. Every request is audited.
package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lineage"
	"github.com/cqeco/ecolake/schemas"
)

// Service answers GraphQL requests over the catalogue and the lake.
type Service struct {
	cat    *catalog.Store
	bucket lake.BucketReader
	cache  *lake.Cache
	cfg    Config
	log    *slog.Logger
	db     *sql.DB

	cur  atomic.Pointer[current]
	gens atomic.Uint64
	// scans counts the reads of the whole directory generationFor made (tests show that data
	// loads and runs make none).
	scans atomic.Uint64
	// followed counts the generations made by following the catalogue's changed entries instead.
	followed atomic.Uint64
	// types holds the tables' generated types shared by all schemas (schema_types.go), as of
	// generation typesGen; both are guarded by typesMu.
	typesMu  sync.Mutex
	types    map[string]*tableTypes
	typesGen uint64

	searcher atomic.Pointer[searcherBox] // the directory search (schema_search.go)

	// analyzer attributes derived entries' SQL (schema_transform.go), opened on first use.
	analyzerOnce sync.Once
	analyzer     *lineage.Analyzer
	analyzerErr  error

	mmu       sync.Mutex
	manifests map[string]*lake.Manifest
	results   *resultCache  // nil when Config.ResultCacheBytes is 0
	native    *nativeCopies // nil when Config.NativeBytes is 0

	slots  chan struct{} // one per request executing, Config.MaxConcurrent in all
	shares *shares       // Config.MaxConcurrentPerPrincipal per principal (admission.go)

	counters counters // Stats (stats.go)

	stop   chan struct{}
	done   chan struct{}
	closed atomic.Bool

	// buildHook, when set (tests only), runs at the start of each schema build.
	buildHook func()
	// sqlHook, when set (tests only), sees each statement before it runs.
	sqlHook func(Statement)
}

// Request is one GraphQL request.
type Request struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
	// Tables scopes the request's schema to the catalogue fields and these tables (the URL's
	// ?tables=a,b): introspection then answers for them alone, which GraphQL tools can load at
	// province scale, where the whole schema is too large to introspect.
	Tables []string `json:"-"`
	// readOnly: the request came by GET, which may not change anything (guard_mutation.go).
	readOnly bool
}

// maxManifests bounds the in-memory manifest cache; manifests are immutable, so dropping the
// whole map when it is full costs only re-reads.
const maxManifests = 4096

// New opens the in-memory DuckDB the service owns and starts following catalogue changes.
func New(cat *catalog.Store, bucket lake.BucketReader, cache *lake.Cache, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cat == nil || bucket == nil || cache == nil {
		return nil, fmt.Errorf("new query service: catalogue, bucket and cache are required: %w", ErrInvalid)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	conn, err := duckdb.NewConnector("", func(ex driver.ExecerContext) error {
		// No extension may be fetched or loaded behind our back; parquet is built in. Lake files
		// never change under their name (a cache file that is fetched again is a new file to
		// DuckDB, which checks the modification time), so their Parquet footers are kept.
		sets := []string{"SET autoinstall_known_extensions = false", "SET autoload_known_extensions = false",
			"SET parquet_metadata_cache = true"}
		if cfg.DuckDBMemoryBytes > 0 {
			sets = append(sets, fmt.Sprintf("SET memory_limit = '%dB'", cfg.DuckDBMemoryBytes))
		}
		for _, q := range sets {
			if _, err := ex.ExecContext(context.Background(), q, nil); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	s := &Service{
		cat: cat, bucket: bucket, cache: cache, cfg: cfg, log: log,
		db:        sql.OpenDB(conn),
		manifests: map[string]*lake.Manifest{},
		types:     map[string]*tableTypes{},
		results:   newResultCache(cfg.ResultCacheBytes),
		slots:     make(chan struct{}, cfg.MaxConcurrent),
		shares:    newShares(cfg.MaxConcurrentPerPrincipal),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	// Keep a connection per admitted request: database/sql keeps two idle by default, and every
	// other one would be closed after its query and opened again (with the settings above) for
	// the next.
	s.db.SetMaxIdleConns(cfg.MaxConcurrent)
	if err := s.db.Ping(); err != nil {
		_ = s.db.Close()
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	if cfg.NativeBytes > 0 {
		if s.native, err = openNative(s.db, cfg.NativeDir, cfg.NativeBytes, log); err != nil {
			_ = s.db.Close()
			return nil, err
		}
	}
	s.generationFor(cat.View())
	go s.follow()
	return s, nil
}

// follow swaps in a new generation as soon as the catalogue changes, so that the first request
// after a change does not pay for noticing it.
func (s *Service) follow() {
	defer close(s.done)
	for {
		ch := s.cat.Changed()
		s.generationFor(s.cat.View())
		select {
		case <-ch:
		case <-s.stop:
			return
		}
	}
}

// Close stops following the catalogue and closes DuckDB. The catalogue, bucket and cache belong
// to the caller.
func (s *Service) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(s.stop)
	<-s.done
	if s.native != nil {
		s.native.close()
	}
	s.analyzerOnce.Do(func() {}) // none is opened after Close
	if s.analyzer != nil {
		if err := s.analyzer.Close(); err != nil {
			s.log.Warn("close sql analyzer", "err", err)
		}
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close duckdb: %w", err)
	}
	return nil
}

// Do executes one request for a principal against the catalogue view current when it starts.
func (s *Service) Do(ctx context.Context, p *catalog.Principal, req Request) *graphql.Result {
	start := time.Now()
	id := audit.RequestIDOr(ctx, start)
	if s.closed.Load() {
		return errResult("查询服务已关闭")
	}
	if p == nil || p.Disabled {
		return s.record(id, p, nil, start, coded(schemas.CodeUnauthenticated, "未认证: 缺少身份或身份已停用"))
	}
	if !catalog.Allowed(p, catalog.ActQuery) {
		return s.record(id, p, nil, start, coded(schemas.CodeForbidden, "无权使用查询服务: 账号的角色或密级无效"))
	}
	cfg := s.cfg.forRole(p.Role)
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	view := s.cat.View()
	r := newRequest(view, p, s.cfg.now(), cfg.MaxRowsPerRequest)
	r.cfg = cfg
	g := s.generationFor(view)
	res := s.answer(ctx, g, r, req)
	if err := ctx.Err(); err != nil {
		res = &graphql.Result{Errors: []gqlerrors.FormattedError{s.late(r)}}
	}
	res = s.cfg.bound(res)
	if t := r.cut(); len(t) > 0 && res.Data != nil {
		if res.Extensions == nil {
			res.Extensions = map[string]any{}
		}
		res.Extensions["truncated"] = t
	}
	fields, datasets, snapshots, rows := r.audit()
	attrs := []any{"request_id", id, "user", p.ID, "fields", fields, "dataset", datasets, "snapshot", snapshots,
		"rows", rows, "duration", time.Since(start), "generation", g.gen}
	if len(res.Errors) > 0 {
		attrs = append(attrs, "err", res.Errors[0].Message)
	}
	s.log.Info("query", attrs...)
	return s.recordResult(id, p, r, start, res)
}

// record answers a request refused before it ran with err, recorded in the audit.
func (s *Service) record(id string, p *catalog.Principal, r *request, start time.Time, err gqlerrors.FormattedError) *graphql.Result {
	return s.recordResult(id, p, r, start, &graphql.Result{Errors: []gqlerrors.FormattedError{err}})
}

// recordResult records the audit event of a request and returns its answer, or, when the event
// cannot be made durable, an error in its place: no data leaves unrecorded.
func (s *Service) recordResult(id string, p *catalog.Principal, r *request, start time.Time, res *graphql.Result) *graphql.Result {
	s.counters.answered(outcomeOf(res))
	if s.cfg.Audit == nil {
		return res
	}
	if err := s.cfg.Audit.Record(r.event(id, p, start, res)); err != nil {
		s.log.Error("audit record failed: answer withheld", "request_id", id, "err", err)
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
			return &graphql.Result{Errors: []gqlerrors.FormattedError{coded(codeInternal,
				"数据目录磁盘空间不足, 审计记录无法写入, 本次查询结果不予返回; 请管理员释放磁盘空间后重试")}}
		}
		return &graphql.Result{Errors: []gqlerrors.FormattedError{coded(codeInternal, "审计记录写入失败, 本次查询结果不予返回, 请联系管理员")}}
	}
	return res
}

// late words a request that ran out of time: waiting for a slot, or executing.
func (s *Service) late(r *request) gqlerrors.FormattedError {
	if r.overShare {
		return coded(codeTimeout, "查询服务繁忙: 本账户同时执行的查询已达上限 %d, 排队等待超时或已取消 (上限 %s), 请待已提交的查询结束后重试",
			s.cfg.MaxConcurrentPerPrincipal, r.cfg.Timeout)
	}
	if !r.admitted {
		return coded(codeTimeout, "查询服务繁忙: 同时执行的查询已达上限 %d, 排队等待超时或已取消 (上限 %s), 请稍后重试",
			s.cfg.MaxConcurrent, r.cfg.Timeout)
	}
	return coded(codeTimeout, "查询超时或已取消 (上限 %s)", r.cfg.Timeout)
}

func errResult(msg string) *graphql.Result {
	return &graphql.Result{Errors: []gqlerrors.FormattedError{{Message: msg}}}
}

// publicError keeps messages meant for the query's author and hides the rest (DuckDB messages
// may name local paths), logging them instead.
func (s *Service) publicError(r *request, table string, err error) error {
	var ue *userError
	if errors.As(err, &ue) {
		return ue
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &userError{msg: fmt.Sprintf("查询 %s 超时或已取消", table), err: err}
	}
	if errors.Is(err, lake.ErrChecksum) {
		s.log.Error("lake file failed its checksum: not served", "user", r.principal.ID, "dataset", table, "err", err)
		return &userError{msg: fmt.Sprintf("查询 %s 失败: 数据文件校验不符 (可能已损坏), 未返回任何数据; 已记录, 请联系管理员", table), err: err}
	}
	if errors.Is(err, lake.ErrUnavailable) {
		s.log.Error("lake store unavailable: query failed", "user", r.principal.ID, "dataset", table, "err", err)
		return &userError{msg: fmt.Sprintf("查询 %s 失败: 数据湖存储暂时无法访问, 请稍后重试; 如持续失败请联系管理员", table), err: err}
	}
	s.log.Error("query failed", "user", r.principal.ID, "dataset", table, "err", err)
	return &userError{msg: fmt.Sprintf("查询 %s 失败", table), err: err}
}
