package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
)

// The read-only Iceberg REST catalogue (the Apache Iceberg REST catalog spec's config, namespaces,
// list and load table), under IcebergPrefix. Every table lives in the one namespace
// IcebergNamespace and is named by its entry's table name (Entry.Table), which is unique in the
// directory. A table is listed and loaded for a principal only when the entry exists for it and
// catalog.MayReadRawTable allows its decision: the reader opens the files itself, so no mask, row
// scope or aggregates-only rule could be applied. Entries never loaded have no table.

// IcebergPrefix is where the catalogue is served: clients are given uri <server>/iceberg.
const IcebergPrefix = "/iceberg"

// IcebergNamespace is the namespace of every table.
const IcebergNamespace = "ecolake"

// IcebergTables gives the current Iceberg metadata of an entry's table as v has it (publishing it
// when it is not written yet): the metadata file's absolute location and its JSON. ok is false
// for an entry never loaded.
type IcebergTables interface {
	IcebergMetadata(ctx context.Context, v *catalog.View, code string) (location string, metadata json.RawMessage, ok bool, err error)
}

// Iceberg serves the Iceberg REST catalogue over Cat's entries.
type Iceberg struct {
	Cat    *catalog.Store
	Tables IcebergTables
	// Query records each table load and refusal in the audit (door iceberg:<table>): the
	// metadata opens the table's files to the caller. nil records nothing.
	Query *query.Service
	Log   *slog.Logger
	Now   func() time.Time // nil: time.Now
}

// Handler is the catalogue's HTTP handler, for the paths under IcebergPrefix.
func (h *Iceberg) Handler() http.Handler {
	mux := http.NewServeMux()
	p := IcebergPrefix + "/v1"
	mux.HandleFunc("GET "+p+"/config", h.handleConfig)
	mux.HandleFunc("GET "+p+"/namespaces", h.handleNamespaces)
	mux.HandleFunc("GET "+p+"/namespaces/{ns}", h.handleNamespace)
	mux.HandleFunc("HEAD "+p+"/namespaces/{ns}", h.handleNamespace)
	mux.HandleFunc("GET "+p+"/namespaces/{ns}/tables", h.handleTables)
	mux.HandleFunc("GET "+p+"/namespaces/{ns}/tables/{table}", h.handleTable)
	mux.HandleFunc("HEAD "+p+"/namespaces/{ns}/tables/{table}", h.handleTable)
	mux.HandleFunc(IcebergPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		if h.principal(w, r) == nil {
			return
		}
		h.fail(w, http.StatusNotImplemented, "NotImplementedException", "本 Iceberg 目录只读, 不支持该操作")
	})
	return tracked(mux, nil, h.Log)
}

func (h *Iceberg) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// icebergError is the Iceberg REST spec's ErrorModel inside its ErrorResponse.
type icebergError struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    int    `json:"code"`
}

func (h *Iceberg) fail(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]icebergError{"error": {Message: msg, Type: typ, Code: status}})
}

// failErr answers with err in the Iceberg error shape, in Chinese.
func (h *Iceberg) failErr(w http.ResponseWriter, err error) {
	status := Status(err)
	if status == http.StatusInternalServerError && h.Log != nil {
		h.Log.Error("iceberg catalog request failed", "request", w.Header().Get(HeaderRequestID), "err", Detail(err))
	}
	typ := map[int]string{
		http.StatusBadRequest: "BadRequestException", http.StatusUnauthorized: "NotAuthorizedException",
		http.StatusForbidden: "ForbiddenException", http.StatusNotFound: "NoSuchTableException",
	}[status]
	if typ == "" {
		typ = "InternalServerError"
	}
	h.fail(w, status, typ, Message(err))
}

// principal resolves the bearer token as every other door does; it answers 401 when there is none.
func (h *Iceberg) principal(w http.ResponseWriter, r *http.Request) *catalog.Principal {
	if p := BearerPrincipal(h.Cat.View(), r, h.now()); p != nil {
		return p
	}
	h.fail(w, http.StatusUnauthorized, "NotAuthorizedException", "未认证: 请在 Authorization 头中提供有效的 Bearer 令牌")
	return nil
}

func (h *Iceberg) handleConfig(w http.ResponseWriter, r *http.Request) {
	if h.principal(w, r) == nil {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"defaults":  map[string]string{},
		"overrides": map[string]string{},
		"endpoints": []string{
			"GET /v1/{prefix}/namespaces", "GET /v1/{prefix}/namespaces/{namespace}", "HEAD /v1/{prefix}/namespaces/{namespace}",
			"GET /v1/{prefix}/namespaces/{namespace}/tables", "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
			"HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
		},
	})
}

func (h *Iceberg) handleNamespaces(w http.ResponseWriter, r *http.Request) {
	if h.principal(w, r) == nil {
		return
	}
	ns := [][]string{{IcebergNamespace}}
	if parent := r.URL.Query().Get("parent"); parent != "" {
		if parent != IcebergNamespace {
			h.fail(w, http.StatusNotFound, "NoSuchNamespaceException", "命名空间 "+schemas.Quote(parent)+" 不存在")
			return
		}
		ns = [][]string{} // the namespace has no children
	}
	writeJSON(w, http.StatusOK, map[string]any{"namespaces": ns})
}

// namespace checks the {ns} of the path; it answers 404 for any other than IcebergNamespace.
func (h *Iceberg) namespace(w http.ResponseWriter, r *http.Request) bool {
	if ns := r.PathValue("ns"); ns != IcebergNamespace {
		h.fail(w, http.StatusNotFound, "NoSuchNamespaceException", "命名空间 "+schemas.Quote(ns)+" 不存在, 唯一的命名空间是 "+IcebergNamespace)
		return false
	}
	return true
}

func (h *Iceberg) handleNamespace(w http.ResponseWriter, r *http.Request) {
	if h.principal(w, r) == nil || !h.namespace(w, r) {
		return
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"namespace": []string{IcebergNamespace},
		"properties": map[string]string{"comment": "生态环境数据资源目录中可按原样读取的数据表"}})
}

type tableIdent struct {
	Namespace []string `json:"namespace"`
	Name      string   `json:"name"`
}

func (h *Iceberg) handleTables(w http.ResponseWriter, r *http.Request) {
	p := h.principal(w, r)
	if p == nil || !h.namespace(w, r) {
		return
	}
	v, now := h.Cat.View(), h.now()
	ids := []tableIdent{}
	v.EachVisible(p, "", func(e *catalog.Entry) bool {
		if e.CurrentSnapshot != "" && catalog.MayReadRawTable(v.Decide(p, e, now)) {
			ids = append(ids, tableIdent{Namespace: []string{IcebergNamespace}, Name: e.Table})
		}
		return true
	})
	writeJSON(w, http.StatusOK, map[string]any{"identifiers": ids})
}

func (h *Iceberg) handleTable(w http.ResponseWriter, r *http.Request) {
	p := h.principal(w, r)
	if p == nil || !h.namespace(w, r) {
		return
	}
	start := time.Now()
	name := r.PathValue("table")
	v := h.Cat.View()
	notFound := func() {
		h.fail(w, http.StatusNotFound, "NoSuchTableException", "数据表 "+schemas.Quote(IcebergNamespace+"."+name)+" 不存在或无权访问")
	}
	e, access, err := v.EntryFor(p, name, h.now())
	switch {
	case errors.Is(err, catalog.ErrNotFound), err == nil && e.Table != name:
		notFound() // an entry exists for p, or not, only under its table name
		return
	case err != nil:
		h.failErr(w, err)
		return
	case !catalog.MayReadRawTable(access):
		refusal := schemas.Userf(schemas.ErrForbidden, "数据表 %s 对本账号设有脱敏、行范围或仅可聚合等限制, 不能通过 Iceberg 目录按原样读取; 请通过 GraphQL 查询", schemas.Quote(name))
		if err := h.record(r, p, name, start, refusal); err != nil {
			h.failErr(w, err)
			return
		}
		h.fail(w, http.StatusForbidden, "ForbiddenException", Message(refusal))
		return
	}
	if r.Method == http.MethodHead { // whether it exists: nothing is published or read
		if e.CurrentSnapshot == "" {
			notFound()
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	loc, meta, ok, err := h.Tables.IcebergMetadata(r.Context(), v, e.ResourceCode)
	if err != nil {
		h.failErr(w, err)
		return
	}
	if !ok {
		notFound()
		return
	}
	if err := h.record(r, p, name, start, nil); err != nil {
		h.failErr(w, err) // an answer that cannot be audited is withheld
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"metadata-location": loc, "metadata": meta, "config": map[string]string{}})
}

// record writes the audit event of a table load (failed: its refusal).
func (h *Iceberg) record(r *http.Request, p *catalog.Principal, table string, start time.Time, failed error) error {
	if h.Query == nil {
		return nil
	}
	return h.Query.RecordDoor(r.Context(), p, "iceberg:"+table, start, 0, failed)
}
