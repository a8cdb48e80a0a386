package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
)

// GET /metrics: the service's counters in the Prometheus text format, for a principal
// catalog.MayReadMetrics lets scrape. The registry is the service's own, never the global one.
// What the parts already count (catalogue, cache, query service, last gc, the collection figure)
// is read at scrape time; only what nothing else counts (HTTP requests, ended runs) is kept here.

// GCResult is the last scheduled garbage collection, as the metrics show it.
type GCResult struct {
	Started time.Time // zero when none has run
	Took    time.Duration
	Expired int   // snapshots retention expired
	Deleted int   // lake objects removed
	Bytes   int64 // their size
	Scanned int   // lake objects listed
	Purged  int   // records of past loads purged from the catalogue
	Failed  bool  // it stopped short with an error
}

// MetricsSources are the parts a scrape reads. Any may be nil (zero): its metrics are left out.
type MetricsSources struct {
	Cat    *catalog.Store
	Cache  *lake.Cache
	Query  *query.Service
	Ingest *ingest.Service // its runs are observed from NewMetrics on
	LastGC func() GCResult
	// CollectionTarget is the target of 数据归集率, exported beside the figure.
	CollectionTarget float64
	Now              func() time.Time // nil: time.Now
}

// Metrics is the service's registry and the counters kept for it.
type Metrics struct {
	reg  *prometheus.Registry
	http *httpMetrics
}

// NewMetrics registers the service's metrics over src in a new registry.
func NewMetrics(src MetricsSources) *Metrics {
	if src.Now == nil {
		src.Now = time.Now
	}
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg, http: newHTTPMetrics()}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.http.register(reg)
	if src.Cat != nil {
		reg.MustRegister(catalogCollector{src.Cat}, collectionCollector{cat: src.Cat, now: src.Now, target: src.CollectionTarget})
		if src.Cat.Cluster().Clustered {
			reg.MustRegister(clusterCollector{src.Cat})
		}
		if src.Ingest != nil {
			rm := newRunMetrics(src.Cat)
			rm.register(reg)
			src.Ingest.ObserveRuns(rm)
		}
	}
	if src.Cache != nil {
		reg.MustRegister(cacheCollector{src.Cache})
	}
	if src.Query != nil {
		reg.MustRegister(queryCollector{src.Query})
	}
	if src.LastGC != nil {
		reg.MustRegister(gcCollector{src.LastGC})
	}
	return m
}

// Registry is the registry behind /metrics (for tests and embedding).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// handleMetrics serves the scrape to a principal the catalogue allows.
func (s *Server) handleMetrics(h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.principal(w, r)
		if p == nil {
			return
		}
		if !catalog.MayReadMetrics(p) {
			WriteError(w, s.Log, schemas.Userf(schemas.ErrForbidden,
				"无权读取运行指标: 指标覆盖整个目录, 仅限可见全部目录的系统管理员、数据管理员或管理人员账号"))
			return
		}
		h.ServeHTTP(w, r)
	}
}

// handler is the Prometheus text exposition of the registry.
func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// httpMetrics count the HTTP requests by door (route pattern) and status class.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func newHTTPMetrics() *httpMetrics {
	return &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecolake_http_requests_total",
			Help: "HTTP requests answered, by door (route pattern) and status class.",
		}, []string{"door", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ecolake_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by door (route pattern).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"door"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ecolake_http_requests_in_flight",
			Help: "HTTP requests being answered.",
		}),
	}
}

func (h *httpMetrics) register(reg *prometheus.Registry) {
	reg.MustRegister(h.requests, h.duration, h.inFlight)
}

func (h *httpMetrics) observe(door string, status int, took time.Duration) {
	h.requests.WithLabelValues(door, statusClass(status)).Inc()
	h.duration.WithLabelValues(door).Observe(took.Seconds())
}

// statusClass is "2xx", "4xx", … of an HTTP status.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// runMetrics count the ingest runs as they begin and end (ingest.RunObserver).
type runMetrics struct {
	cat     *catalog.Store
	started prometheus.Counter
	ended   *prometheus.CounterVec // outcome
	rows    *prometheus.CounterVec // result: read, accepted, rejected
	bytes   *prometheus.CounterVec // outcome
}

func newRunMetrics(cat *catalog.Store) *runMetrics {
	return &runMetrics{
		cat: cat,
		started: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ecolake_ingest_runs_started_total", Help: "Ingest runs begun.",
		}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecolake_ingest_runs_total", Help: "Ingest runs ended, by outcome (succeeded, partial, failed, unchanged).",
		}, []string{"outcome"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecolake_ingest_rows_total", Help: "Rows of ended ingest runs, by result (read, accepted, rejected).",
		}, []string{"result"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecolake_ingest_bytes_total", Help: "Source bytes read by ended ingest runs, by run outcome.",
		}, []string{"outcome"}),
	}
}

func (m *runMetrics) register(reg *prometheus.Registry) {
	reg.MustRegister(m.started, m.ended, m.rows, m.bytes)
}

// runOutcomes are the labels of the run statuses that end a run.
var runOutcomes = map[string]string{
	catalog.RunSucceeded: "succeeded", catalog.RunPartial: "partial", catalog.RunFailed: "failed",
	catalog.RunUnchanged: "unchanged",
}

// RunChanged counts run id as the catalogue now records it: begun, or ended with its rows.
func (m *runMetrics) RunChanged(id string) {
	r, err := m.cat.View().Run(id)
	if err != nil {
		return
	}
	if r.Status == catalog.RunRunning {
		m.started.Inc()
		return
	}
	outcome, ok := runOutcomes[r.Status]
	if !ok {
		outcome = "other"
	}
	m.ended.WithLabelValues(outcome).Inc()
	m.rows.WithLabelValues("read").Add(float64(r.RowsRead))
	m.rows.WithLabelValues("accepted").Add(float64(r.RowsAccepted))
	m.rows.WithLabelValues("rejected").Add(float64(r.RowsRejected))
	m.bytes.WithLabelValues(outcome).Add(float64(r.Bytes))
}

// The collectors below read what their part counts at scrape time.

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	descCommands        = desc("ecolake_journal_commands_total", "Catalogue commands made durable in the journal.")
	descSyncs           = desc("ecolake_journal_syncs_total", "Journal fsyncs (fewer than commands when commits were grouped).")
	descSyncSeconds     = desc("ecolake_journal_sync_seconds_total", "Total time of the journal writes and fsyncs.")
	descJournalBytes    = desc("ecolake_journal_bytes_total", "Framed bytes appended to the journal.")
	descJournalPending  = desc("ecolake_journal_pending_bytes", "Journal bytes a start would replay on top of the last checkpoint.")
	descJournalFailed   = desc("ecolake_journal_failed", "1 when a journal write or fsync failed and the catalogue refuses writes until restart.")
	descCheckpoints     = desc("ecolake_catalog_checkpoints_total", "Catalogue checkpoints installed.")
	descCheckpointBytes = desc("ecolake_catalog_checkpoint_bytes_total", "Bytes of the catalogue checkpoints installed.")
	descTransactions    = desc("ecolake_catalog_transactions_total", "Memdb transactions that applied commands.")
)

// catalogCollector reads catalog.Store.Stats.
type catalogCollector struct{ cat *catalog.Store }

func (c catalogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCommands, descSyncs, descSyncSeconds, descJournalBytes, descJournalPending,
		descJournalFailed, descCheckpoints, descCheckpointBytes, descTransactions} {
		ch <- d
	}
}

func (c catalogCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.cat.Stats()
	counter(ch, descCommands, float64(st.Commands))
	counter(ch, descSyncs, float64(st.Syncs))
	counter(ch, descSyncSeconds, st.SyncTime.Seconds())
	counter(ch, descJournalBytes, float64(st.JournalBytes))
	gauge(ch, descJournalPending, float64(st.JournalPendingBytes))
	gauge(ch, descJournalFailed, flag(st.JournalFailed))
	counter(ch, descCheckpoints, float64(st.Checkpoints))
	counter(ch, descCheckpointBytes, float64(st.CheckpointBytes))
	counter(ch, descTransactions, float64(st.Transactions))
}

var (
	descRaftState       = desc("ecolake_raft_state", "1 for the raft state this catalogue node is in.", "state")
	descRaftLeaderReady = desc("ecolake_raft_leader_ready", "1 when this node is the leader and takes writes.")
	descRaftLeaderKnown = desc("ecolake_raft_leader_known", "1 when this node knows a leader.")
	descRaftTerm        = desc("ecolake_raft_term", "Raft term.")
	descRaftCommit      = desc("ecolake_raft_commit_index", "Raft commit index.")
	descRaftApplied     = desc("ecolake_raft_applied_index", "Raft index applied to the catalogue.")
	descRaftContact     = desc("ecolake_raft_last_contact_seconds", "Time since the leader was last heard from (0 on the leader).")
	descCatalogIndex    = desc("ecolake_catalog_index", "The catalogue's durable command index (equal on nodes holding the same state).")
)

// clusterCollector reads catalog.Store.Cluster on a clustered node.
type clusterCollector struct{ cat *catalog.Store }

func (c clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRaftState, descRaftLeaderReady, descRaftLeaderKnown, descRaftTerm,
		descRaftCommit, descRaftApplied, descRaftContact, descCatalogIndex} {
		ch <- d
	}
}

func (c clusterCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.cat.Cluster()
	for _, state := range []string{"Leader", "Follower", "Candidate", "Shutdown"} {
		ch <- prometheus.MustNewConstMetric(descRaftState, prometheus.GaugeValue, flag(st.State == state), state)
	}
	gauge(ch, descRaftLeaderReady, flag(st.Ready))
	gauge(ch, descRaftLeaderKnown, flag(st.LeaderID != ""))
	gauge(ch, descRaftTerm, float64(st.Term))
	gauge(ch, descRaftCommit, float64(st.CommitIndex))
	gauge(ch, descRaftApplied, float64(st.AppliedIndex))
	gauge(ch, descRaftContact, st.LastContact.Seconds())
	gauge(ch, descCatalogIndex, float64(st.Index))
}

var (
	descCollectionRate   = desc("ecolake_collection_rate", "数据归集率 over the whole directory: numerator / denominator (0 when nothing is due).")
	descCollectionNum    = desc("ecolake_collection_numerator", "Due entries collected within their update cycle.")
	descCollectionDen    = desc("ecolake_collection_denominator", "Entries due for collection.")
	descCollectionTarget = desc("ecolake_collection_target", "The service's target of 数据归集率.")
)

// collectionCollector computes the collection figure at scrape time: it reads the catalogue's
// per-cell counts, milliseconds over 100,000 entries, so it is not cached.
type collectionCollector struct {
	cat    *catalog.Store
	now    func() time.Time
	target float64
}

func (c collectionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descCollectionRate
	ch <- descCollectionNum
	ch <- descCollectionDen
	ch <- descCollectionTarget
}

func (c collectionCollector) Collect(ch chan<- prometheus.Metric) {
	if c.target > 0 {
		gauge(ch, descCollectionTarget, c.target)
	}
	if c.cat.Closed() {
		return
	}
	f := c.cat.View().CollectionRate(c.now())
	gauge(ch, descCollectionRate, f.Rate)
	gauge(ch, descCollectionNum, float64(f.Numerator))
	gauge(ch, descCollectionDen, float64(f.Denominator))
}

var (
	descCacheHits      = desc("ecolake_cache_hits_total", "Lake files the read cache found already fetched.")
	descCacheMisses    = desc("ecolake_cache_misses_total", "Lake files the read cache fetched from the bucket.")
	descCacheLocal     = desc("ecolake_cache_local_total", "Files a local lake served in place (neither hit nor miss).")
	descCacheCorrupted = desc("ecolake_cache_corrupted_total", "Cached copies found changed since their fetch and fetched again.")
	descCacheHitRatio  = desc("ecolake_cache_hit_ratio", "Hits / (hits + misses) since start; 0 before any.")
	descCacheBytes     = desc("ecolake_cache_bytes", "Bytes of the files the read cache holds.")
	descCacheFiles     = desc("ecolake_cache_files", "Files the read cache holds.")
	descCacheMaxBytes  = desc("ecolake_cache_max_bytes", "The bound on the read cache's unpinned files.")
)

// cacheCollector reads lake.Cache.Stats.
type cacheCollector struct{ c *lake.Cache }

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCacheHits, descCacheMisses, descCacheLocal, descCacheCorrupted,
		descCacheHitRatio, descCacheBytes, descCacheFiles, descCacheMaxBytes} {
		ch <- d
	}
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.c.Stats()
	counter(ch, descCacheHits, float64(st.Hits))
	counter(ch, descCacheMisses, float64(st.Misses))
	counter(ch, descCacheLocal, float64(st.Local))
	counter(ch, descCacheCorrupted, float64(st.Corrupted))
	ratio := 0.0
	if n := st.Hits + st.Misses; n > 0 {
		ratio = float64(st.Hits) / float64(n)
	}
	gauge(ch, descCacheHitRatio, ratio)
	gauge(ch, descCacheBytes, float64(st.Bytes))
	gauge(ch, descCacheFiles, float64(st.Files))
	gauge(ch, descCacheMaxBytes, float64(st.MaxBytes))
}

var (
	descGraphQL           = desc("ecolake_graphql_requests_total", "GraphQL requests, by outcome (OK or the error code the audit records).", "outcome")
	descSchemaGeneration  = desc("ecolake_schema_generation", "Number of the current GraphQL schema generation (0 before the first).")
	descSchemaGenerations = desc("ecolake_schema_generations_total", "GraphQL schema generations built.")
	descSchemaBuilds      = desc("ecolake_schema_builds_total", "GraphQL schemas built (per generation and access key).")
	descSchemaBuildSecs   = desc("ecolake_schema_build_seconds_total", "Total time spent building GraphQL schemas.")
	descSchemaReady       = desc("ecolake_schema_ready", "1 when a schema generation is built and the query service answers.")
)

// queryCollector reads query.Service.Stats.
type queryCollector struct{ q *query.Service }

func (c queryCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descGraphQL, descSchemaGeneration, descSchemaGenerations, descSchemaBuilds,
		descSchemaBuildSecs, descSchemaReady} {
		ch <- d
	}
}

func (c queryCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.q.Stats()
	for outcome, n := range st.Requests {
		ch <- prometheus.MustNewConstMetric(descGraphQL, prometheus.CounterValue, float64(n), outcome)
	}
	gauge(ch, descSchemaGeneration, float64(st.Generation))
	counter(ch, descSchemaGenerations, float64(st.Generations))
	counter(ch, descSchemaBuilds, float64(st.SchemaBuilds))
	counter(ch, descSchemaBuildSecs, st.SchemaBuildTime.Seconds())
	gauge(ch, descSchemaReady, flag(c.q.SchemaReady()))
}

var (
	descGCTime     = desc("ecolake_gc_last_run_timestamp_seconds", "When the last scheduled garbage collection started (Unix time); absent before the first.")
	descGCDuration = desc("ecolake_gc_last_duration_seconds", "How long the last scheduled garbage collection took.")
	descGCExpired  = desc("ecolake_gc_last_expired_snapshots", "Snapshots the last collection expired by retention.")
	descGCDeleted  = desc("ecolake_gc_last_deleted_objects", "Lake objects the last collection deleted.")
	descGCBytes    = desc("ecolake_gc_last_deleted_bytes", "Bytes of the lake objects the last collection deleted.")
	descGCScanned  = desc("ecolake_gc_last_scanned_objects", "Lake objects the last collection listed.")
	descGCErrors   = desc("ecolake_gc_last_errors", "1 when the last collection stopped short with an error, else 0.")
	descGCPurged   = desc("ecolake_gc_last_purged_records", "Records of past loads (expired snapshots, runs) the last collection purged from the catalogue.")
)

// gcCollector reads the result of the last scheduled collection.
type gcCollector struct{ last func() GCResult }

func (c gcCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descGCTime, descGCDuration, descGCExpired, descGCDeleted, descGCBytes,
		descGCScanned, descGCErrors, descGCPurged} {
		ch <- d
	}
}

func (c gcCollector) Collect(ch chan<- prometheus.Metric) {
	g := c.last()
	if g.Started.IsZero() {
		return
	}
	gauge(ch, descGCTime, float64(g.Started.UnixNano())/1e9)
	gauge(ch, descGCDuration, g.Took.Seconds())
	gauge(ch, descGCExpired, float64(g.Expired))
	gauge(ch, descGCDeleted, float64(g.Deleted))
	gauge(ch, descGCBytes, float64(g.Bytes))
	gauge(ch, descGCScanned, float64(g.Scanned))
	gauge(ch, descGCPurged, float64(g.Purged))
	gauge(ch, descGCErrors, flag(g.Failed))
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
