package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/schemas"
)

// maxSubmissionBytes bounds one multipart submission.
var maxSubmissionBytes int64 = 2 << 30

// Routes is the HTTP surface of the service.
func (a *App) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	if a.Query != nil {
		mux.Handle("/graphql", a.Query.Handler())
	}
	mux.HandleFunc("POST /api/v1/entries/{code}/submissions", a.handleSubmission)
	mux.HandleFunc("GET /api/v1/runs/{run}/rejects", a.handleRejects)
	if a.Query != nil {
		mux.HandleFunc("GET /api/v1/schema.graphql", a.handleSDL)
	}
	a.adminRoutes(mux)
	mux.HandleFunc("GET /{$}", a.handleIndex)
	return mux
}

// principal resolves the bearer token; it writes 401 and returns nil when there is none.
func (a *App) principal(w http.ResponseWriter, r *http.Request) *catalog.Principal {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok {
		if p, err := a.Cat.View().PrincipalByToken(strings.TrimSpace(tok), time.Now()); err == nil {
			return p
		}
	}
	api.WriteError(w, a.log, schemas.Userf(schemas.ErrUnauthenticated, "未认证: 请在 Authorization 头中提供有效的 Bearer 令牌"))
	return nil
}

// handleSubmission hands the file to ingest, which asks the access decision whether, for which
// district, by which mode and which rows the principal may load. An entry that does not exist
// for the principal is answered exactly as one that does not exist at all.
func (a *App) handleSubmission(w http.ResponseWriter, r *http.Request) {
	p := a.principal(w, r)
	if p == nil {
		return
	}
	code := r.PathValue("code")
	r.Body = http.MaxBytesReader(w, r.Body, maxSubmissionBytes)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			api.WriteError(w, a.log, schemas.Userf(err, "报送文件过大: 一次报送不能超过 %d 字节", mbe.Limit))
			return
		}
		api.WriteError(w, a.log, schemas.Userf(schemas.ErrInvalid, "请求应为 multipart/form-data, 文件放在 file 字段"))
		return
	}
	defer file.Close()
	replace, _ := strconv.ParseBool(r.FormValue("replace"))
	res, err := a.Ingest.Submit(r.Context(), ingest.Submission{
		Entry: code, Filename: hdr.Filename, Body: file,
		District: r.FormValue("district"), Principal: p, Replace: replace,
	})
	switch {
	case err == nil:
	case res == nil && errors.Is(err, schemas.ErrNotFound):
		api.WriteError(w, a.log, schemas.Userf(schemas.ErrNotFound, "未找到目录: %s", code))
		return
	default:
		api.WriteError(w, a.log, err)
		return
	}
	status := http.StatusCreated
	if res.Snapshot == nil {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, submissionBody(res))
}

// The JSON of the submission endpoint, camelCase like the GraphQL API.
type submissionJSON struct {
	Run      runJSON       `json:"run"`
	Snapshot *snapshotJSON `json:"snapshot"`
	Encoding string        `json:"encoding"`
	Rejects  []rejectJSON  `json:"rejects"`
	Summary  string        `json:"summary"`
}

type runJSON struct {
	ID           string    `json:"id"`
	Entry        string    `json:"entry"`
	Source       string    `json:"source"`
	District     string    `json:"district,omitempty"`
	Principal    string    `json:"principal,omitempty"`
	Status       string    `json:"status"`
	StartedAt    time.Time `json:"startedAt"`
	FinishedAt   time.Time `json:"finishedAt"`
	RowsRead     int64     `json:"rowsRead"`
	RowsAccepted int64     `json:"rowsAccepted"`
	RowsRejected int64     `json:"rowsRejected"`
	Error        string    `json:"error,omitempty"`
}

// snapshotJSON leaves out the sizes for a submitter that reads only part of the table.
type snapshotJSON struct {
	ID          string    `json:"id"`
	Parent      string    `json:"parent,omitempty"`
	Rows        *int64    `json:"rows,omitempty"`
	Files       *int      `json:"files,omitempty"`
	Bytes       *int64    `json:"bytes,omitempty"`
	CommittedAt time.Time `json:"committedAt"`
}

type rejectJSON struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Field  string `json:"field"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

func submissionBody(res *ingest.Result) submissionJSON {
	r := res.Run
	body := submissionJSON{
		Run: runJSON{ID: r.ID, Entry: r.Entry, Source: r.Source, District: r.District, Principal: r.Principal,
			Status: r.Status, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, RowsRead: r.RowsRead,
			RowsAccepted: r.RowsAccepted, RowsRejected: r.RowsRejected, Error: r.Error},
		Encoding: res.Encoding, Rejects: []rejectJSON{}, Summary: res.Summary(),
	}
	if sn := res.Snapshot; sn != nil {
		body.Snapshot = &snapshotJSON{ID: sn.ID, Parent: sn.Parent, CommittedAt: sn.CommittedAt}
		if !res.Scoped {
			body.Snapshot.Rows, body.Snapshot.Files, body.Snapshot.Bytes = &sn.Rows, &sn.Files, &sn.Bytes
		}
	}
	for _, rj := range res.Rejects {
		body.Rejects = append(body.Rejects, rejectJSON{Row: rj.Row, Column: rj.Column, Field: rj.Field, Value: rj.Value, Reason: rj.Reason})
	}
	return body
}

// handleRejects streams a run's rejected-rows file. The catalogue's decision says who: the run
// must be one the principal may see (its entry exists for it and, for a district account, the
// run is its district's) and the principal must be allowed to load the entry — rejected rows are
// raw submitted values. A run that is hidden answers exactly like one that does not exist.
func (a *App) handleRejects(w http.ResponseWriter, r *http.Request) {
	p := a.principal(w, r)
	if p == nil {
		return
	}
	id := r.PathValue("run")
	notFound := func() {
		api.WriteError(w, a.log, schemas.Userf(schemas.ErrNotFound, "未找到该归集任务: %s", id))
	}
	v := a.Cat.View()
	run, err := v.Run(id)
	if err != nil {
		notFound()
		return
	}
	_, access, err := v.EntryFor(p, run.Entry)
	if err != nil || !access.MaySeeRun(run) {
		notFound()
		return
	}
	if !access.Load {
		api.WriteError(w, a.log, schemas.Userf(schemas.ErrForbidden, "无权下载该归集任务的拒绝行: 只有可报送该目录数据的账号可以下载"))
		return
	}
	if run.RejectedKey == "" {
		api.WriteError(w, a.log, schemas.Userf(schemas.ErrNotFound, "该归集任务没有拒绝行"))
		return
	}
	rc, err := a.Bucket.Get(r.Context(), run.RejectedKey)
	if err != nil {
		api.WriteError(w, a.log, schemas.Userf(fmt.Errorf("read rejects of run %s: %w", run.ID, err), "读取拒绝行文件失败"))
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="rejects-`+run.ID+`.csv"`)
	_, _ = io.Copy(w, rc)
}

// handleSDL gives application teams the GraphQL schema as their own clearance sees it.
func (a *App) handleSDL(w http.ResponseWriter, r *http.Request) {
	p := a.principal(w, r)
	if p == nil {
		return
	}
	sdl, err := a.Query.SDL(p)
	if err != nil {
		api.WriteError(w, a.log, schemas.Userf(err, "生成 GraphQL 模式失败"))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, sdl)
}

func (a *App) handleIndex(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ecolake 生态环境数据资源一本账\n\n"+
		"POST /graphql                              GraphQL 查询 (需 Bearer 令牌)\n"+
		"POST /api/v1/entries/{资源代码}/submissions  区县报送 (multipart, 文件字段 file)\n"+
		"GET  /api/v1/runs/{任务}/rejects             下载拒绝行\n"+
		"GET  /api/v1/schema.graphql                  本账号可见的 GraphQL 模式\n"+
		"GET  /healthz                              健康检查\n")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
