package api

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
	"github.com/cqeco/ecolake/web"
)

// Server holds what the HTTP doors need; internal/app builds it from its wired parts. Ingest and
// Query may be nil for a server that only manages accounts and the directory; a nil Query leaves
// out /graphql and the SDL.
type Server struct {
	Cat     *catalog.Store
	Bucket  lake.BucketReader // rejected-rows files are read from it
	Ingest  *ingest.Service
	Query   *query.Service
	Uploads *Uploads    // submissions in progress at once; nil admits one at a time
	started startedRuns // the runs submissions began, by request id (submission_runs.go)
	// Exports are the management workbooks being built at once (each walks the figures and the
	// hold-back list); nil admits two, one per principal.
	Exports *Uploads
	// Schedule is the scheduler's settings, for the plans the doors show.
	Schedule ingest.ScheduleConfig
	Log      *slog.Logger // nil logs nothing

	// Cache, LastGC and CollectionTarget are read by /metrics (nil: their metrics left out).
	Cache  *lake.Cache
	LastGC func() GCResult
	// HoldGC, when set, postpones the lake collection's deletions until the release it returns
	// is called: a backup of the running service holds it while it copies, so that files of a
	// snapshot expired meanwhile are still there to copy.
	HoldGC           func() (release func())
	CollectionTarget float64
	// Metrics is the registry /metrics serves; nil: Routes makes one over the server's parts
	// (once: a second Routes reuses it).
	Metrics *Metrics
	// Iceberg, when set, is the read-only Iceberg REST catalogue served under IcebergPrefix,
	// with the request ids, logs and metrics of every other door.
	Iceberg *Iceberg

	probe *lakeProbe // the readiness probe of Bucket, when it is a Prober
}

// Routes is the HTTP surface of the service.
func (s *Server) Routes() http.Handler {
	if s.Uploads == nil {
		s.Uploads = NewUploads(1, 1)
	}
	if s.Exports == nil {
		s.Exports = NewUploads(2, 1)
	}
	if s.Metrics == nil {
		s.Metrics = NewMetrics(MetricsSources{Cat: s.Cat, Cache: s.Cache, Query: s.Query, Ingest: s.Ingest,
			LastGC: s.LastGC, CollectionTarget: s.CollectionTarget})
	}
	if p, ok := s.Bucket.(Prober); ok && s.probe == nil {
		s.probe = &lakeProbe{p: p, now: time.Now}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.HandleFunc("GET /metrics", s.handleMetrics(s.Metrics.handler()))
	if s.Query != nil {
		mux.Handle("/graphql", s.Query.Handler())
	}
	mux.HandleFunc("POST /api/v1/entries/{code}/submissions", s.handleSubmission)
	mux.HandleFunc("GET /api/v1/runs/{run}/rejects", s.handleRejects)
	mux.HandleFunc("GET /api/v1/runs/{run}/progress", s.handleProgress)
	mux.HandleFunc("GET /api/v1/submissions/{request}/run", s.handleSubmissionRun)
	mux.HandleFunc("GET /api/v1/entries/{code}/profile", s.handleProfile)
	if s.Query != nil {
		mux.HandleFunc("GET /api/v1/schema.graphql", s.handleSDL)
		mux.HandleFunc("GET /api/v1/audit.csv", s.handleAuditCSV)
		s.figureRoutes(mux)
	}
	s.adminRoutes(mux)
	if s.Ingest != nil {
		s.connectionRoutes(mux)
	}
	s.exchangeRoutes(mux)
	s.piProposalRoutes(mux)
	mux.HandleFunc("POST /api/v1/lineage", s.handleLineageEvent)
	mux.Handle(web.Prefix, web.Handler())
	mux.HandleFunc("GET /{$}", s.handleIndex)
	if s.Iceberg != nil {
		mux.Handle(IcebergPrefix+"/", s.Iceberg.Handler())
	}
	return tracked(mux, s.Metrics.http, s.Log)
}

// BearerPrincipal is the principal whose token the request's Authorization header carries at
// now, nil when there is none or it is not a valid token: every door resolves callers so.
func BearerPrincipal(v *catalog.View, r *http.Request, now time.Time) *catalog.Principal {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil
	}
	p, err := v.PrincipalByToken(strings.TrimSpace(tok), now)
	if err != nil {
		return nil
	}
	return p
}

// principal resolves the bearer token; it writes 401 and returns nil when there is none.
func (s *Server) principal(w http.ResponseWriter, r *http.Request) *catalog.Principal {
	if p := BearerPrincipal(s.Cat.View(), r, time.Now()); p != nil {
		return p
	}
	WriteError(w, s.Log, schemas.Userf(schemas.ErrUnauthenticated, "未认证: 请在 Authorization 头中提供有效的 Bearer 令牌"))
	return nil
}

// handleSDL gives application teams the GraphQL schema as their own clearance sees it.
func (s *Server) handleSDL(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	start := time.Now()
	tables, err := query.ScopeTables(r.URL.Query().Get("tables"))
	if err != nil {
		WriteError(w, s.Log, schemas.Userf(schemas.ErrInvalid, "%s", err.Error()))
		return
	}
	write, err := s.Query.SDLWriter(p, tables)
	if rerr := s.Query.RecordDoor(r.Context(), p, "schema.graphql", start, 0, err); rerr != nil {
		WriteError(w, s.Log, rerr)
		return
	}
	if err != nil {
		WriteError(w, s.Log, schemas.Userf(err, "生成 GraphQL 模式失败"))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := write(w); err != nil {
		s.Log.Warn("schema download cut short", "principal", p.ID, "err", err)
	}
}

// handleIndex sends browsers to the UI and gives other clients the list of doors.
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	if web.PrefersHTML(r) {
		http.Redirect(w, r, web.Prefix, http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ecolake 生态环境数据资源一本账\n\n"+
		"POST /graphql                              GraphQL 查询 (需 Bearer 令牌)\n"+
		"POST /api/v1/entries/{资源代码}/submissions  区县报送 (multipart, 文件字段 file)\n"+
		"GET  /api/v1/runs/{任务}/rejects             下载拒绝行\n"+
		"GET  /api/v1/runs/{任务}/progress            归集进度\n"+
		"GET  /api/v1/entries/{资源代码}/profile       数据概况 (?snapshot=快照 查看历史快照)\n"+
		"GET  /api/v1/schema.graphql                  本账号可见的 GraphQL 模式\n"+
		"GET  /api/v1/connectors                    连接器类型及配置说明\n"+
		"GET|PUT|DELETE /api/v1/entries/{资源代码}/connection  归集连接 (数据管理员)\n"+
		"POST /api/v1/entries/{资源代码}/pull          立即归集一次 (数据管理员)\n"+
		"GET  /api/v1/entries/{资源代码}/pi-proposals  个人信息类型建议 (数据管理员)\n"+
		"POST /api/v1/entries/{资源代码}/pi-proposals/{字段}/accept|dismiss  接受 (经审核) 或忽略建议\n"+
		"GET  /api/v1/schedules                     归集调度与下次运行时间\n"+
		"POST /api/v1/entries                       登记处室与目录 (JSON, 数据管理员)\n"+
		"GET  /api/v1/directory.xlsx                导出目录工作簿 (本账号可见的目录)\n"+
		"POST /api/v1/directory.xlsx                导入目录工作簿 (数据管理员; ?reason=说明)\n"+
		"GET  /api/v1/directory.jsonld              导出已发布可开放目录 (DCAT-AP JSON-LD)\n"+
		"GET  /api/v1/figures.xlsx                  管理指标月度报表 (本账号可见的目录)\n"+
		"GET|POST /api/v1/principals                账号 (系统管理员)\n"+
		"POST /api/v1/principals/{账号}/disable       停用账号 (系统管理员)\n"+
		"GET|POST /api/v1/principals/{账号}/tokens    令牌 (系统管理员)\n"+
		"POST /api/v1/tokens/{令牌}/revoke            吊销令牌 (系统管理员)\n"+
		"GET  /api/v1/submissions/{请求号}/run         本账号以 X-Request-ID 发出的报送所开始的归集任务\n"+
		"GET  /iceberg/v1/config, /iceberg/v1/namespaces/ecolake/tables/{表名}  Iceberg REST 目录 (只读; 仅无脱敏、无行范围限制的账号)\n"+
		"GET  /ui/                                  网页界面 (目录、血缘、GraphiQL)\n"+
		"GET  /healthz                              健康检查 (进程存活)\n"+
		"GET  /readyz                               就绪检查 (目录库、数据湖、查询模式)\n"+
		"GET  /metrics                              运行指标 (Prometheus 格式; 系统管理员、数据管理员或管理人员令牌)\n")
}
