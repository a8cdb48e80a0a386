package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/schemas"
)

// connectionRoutes registers the doors of entries' connections: the connector specs, an entry's
// connection (read with secrets redacted, set, dropped), a pull triggered by hand, and the
// schedules. Each asks the catalogue's decision (Access.Configure) through ingest.
func (s *Server) connectionRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/connectors", s.handleConnectors)
	mux.HandleFunc("GET /api/v1/entries/{code}/connection", s.handleGetConnection)
	mux.HandleFunc("PUT /api/v1/entries/{code}/connection", s.handlePutConnection)
	mux.HandleFunc("DELETE /api/v1/entries/{code}/connection", s.handleDropConnection)
	mux.HandleFunc("POST /api/v1/entries/{code}/pull", s.handlePull)
	mux.HandleFunc("POST /api/v1/entries/{code}/materialise", s.handleMaterialise)
	mux.HandleFunc("GET /api/v1/schedules", s.handleSchedules)
}

// handleConnectors lists the connector kinds and their configuration specs: the same text the
// reference documentation is generated from.
func (s *Server) handleConnectors(w http.ResponseWriter, r *http.Request) {
	if s.principal(w, r) == nil {
		return
	}
	out := []ingest.Spec{}
	for _, c := range ingest.Connectors() {
		out = append(out, c.Spec)
	}
	writeJSON(w, http.StatusOK, out)
}

type connectionJSON struct {
	Entry     string            `json:"entry"`
	Kind      string            `json:"kind"`
	Config    map[string]string `json:"config"` // secrets as [redacted]
	Schedule  string            `json:"schedule,omitempty"`
	Enabled   bool              `json:"enabled"`
	Watermark string            `json:"watermark,omitempty"`
	Revision  uint64            `json:"revision"`
	UpdatedBy string            `json:"updatedBy"`
	UpdatedAt time.Time         `json:"updatedAt"`
	Plan      planJSON          `json:"plan"`
}

type planJSON struct {
	Entry       string     `json:"entry"`
	Kind        string     `json:"kind"`
	Rule        string     `json:"rule"`
	Next        *time.Time `json:"next,omitempty"`
	Pending     bool       `json:"pending,omitempty"` // never pulled: at the next tick
	LastAttempt *time.Time `json:"lastAttempt,omitempty"`
	LastSuccess *time.Time `json:"lastSuccess,omitempty"`
	Failures    int        `json:"failures"`
	Watermark   string     `json:"watermark,omitempty"`
	Enabled     bool       `json:"enabled"`
}

func planBody(p ingest.Plan) planJSON {
	return planJSON{Entry: p.Entry, Kind: p.Kind, Rule: p.Rule, Next: timePtr(p.Next), Pending: p.Pending,
		LastAttempt: timePtr(p.LastAttempt), LastSuccess: timePtr(p.LastSuccess), Failures: p.Failures,
		Watermark: p.Watermark, Enabled: p.Enabled}
}

func (s *Server) handleGetConnection(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	code := r.PathValue("code")
	c, err := s.Ingest.Connection(p, code)
	if err != nil {
		s.connectionError(w, code, err)
		return
	}
	e, err := s.Cat.View().Entry(c.Entry)
	if err != nil {
		s.connectionError(w, code, err)
		return
	}
	writeJSON(w, http.StatusOK, connectionJSON{Entry: c.Entry, Kind: c.Kind, Config: c.Config, Schedule: c.Schedule,
		Enabled: c.Enabled, Watermark: c.Watermark, Revision: c.Revision, UpdatedBy: c.UpdatedBy, UpdatedAt: c.UpdatedAt,
		Plan: planBody(s.Schedule.PlanOf(c, e))})
}

type putConnectionJSON struct {
	Kind     string            `json:"kind"`
	Config   map[string]string `json:"config"`
	Schedule string            `json:"schedule"`
	Enabled  *bool             `json:"enabled"` // default true
	Base     uint64            `json:"base"`
}

func (s *Server) handlePutConnection(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	var in putConnectionJSON
	if !decodeBody(w, r, &in, false) {
		return
	}
	code := r.PathValue("code")
	enabled := in.Enabled == nil || *in.Enabled
	err := s.Ingest.Connect(r.Context(), p, ingest.Connect{Entry: code, Kind: in.Kind, Config: in.Config,
		Schedule: in.Schedule, Enabled: enabled, Base: in.Base})
	if err != nil {
		s.connectionError(w, code, adminError("设置归集连接", err))
		return
	}
	s.handleGetConnection(w, r)
}

func (s *Server) handleDropConnection(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	code := r.PathValue("code")
	base, err := strconv.ParseUint(r.URL.Query().Get("base"), 10, 64)
	if err != nil {
		WriteError(w, s.Log, schemas.Userf(schemas.ErrInvalid, "须以 ?base=版本号 指明删除的是哪个版本的归集连接"))
		return
	}
	if err := s.Cat.DropConnection(r.Context(), p, code, base); err != nil {
		s.connectionError(w, code, adminError("删除归集连接", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handlePull runs a pull now and answers with its run, as a submission is answered; a source
// that failed is 502, the run saying how.
func (s *Server) handlePull(w http.ResponseWriter, r *http.Request) {
	s.loadByHand(w, r, s.Ingest.Pull, http.StatusBadGateway)
}

// loadByHand runs a load started by hand (a pull, a materialisation) for the caller and answers
// with its run: 201 committed, 200 nothing new, 422 nothing loadable, failed when the load failed
// after its run began. It loads like a submission and shares its bound: a caller cannot start
// more loads at once than the service admits (Uploads). Whether the caller may is the
// catalogue's decision, asked by load.
func (s *Server) loadByHand(w http.ResponseWriter, r *http.Request,
	load func(context.Context, *catalog.Principal, string) (*ingest.Result, error), failed int) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	code := r.PathValue("code")
	if !s.Uploads.enter(p.ID) {
		WriteError(w, s.Log, schemas.Userf(schemas.ErrBusy,
			"归集繁忙: 同时进行的报送、归集与加工已达上限 (每个账号 %d 个, 全部 %d 个), 请稍后重试", s.Uploads.per, s.Uploads.total))
		return
	}
	defer s.Uploads.leave(p.ID)
	res, err := load(r.Context(), p, code)
	if err != nil && res == nil {
		s.connectionError(w, code, err)
		return
	}
	status := http.StatusCreated
	switch {
	case err != nil:
		status = failed
	case res.Unchanged:
		status = http.StatusOK
	case res.Snapshot == nil:
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, submissionBody(res))
}

func (s *Server) handleSchedules(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	out := []planJSON{}
	for _, pl := range s.Ingest.Plans(p, s.Schedule) {
		out = append(out, planBody(pl))
	}
	writeJSON(w, http.StatusOK, out)
}

// connectionError answers a refused connection request. An entry that does not exist for the
// caller is answered exactly as a missing one (catalog's plain not-found, no message of its own);
// a missing connection of an entry the caller may configure says so.
func (s *Server) connectionError(w http.ResponseWriter, code string, err error) {
	if _, ok := schemas.UserMessage(err); ok {
		WriteError(w, s.Log, err)
		return
	}
	s.submitError(w, code, err)
}
