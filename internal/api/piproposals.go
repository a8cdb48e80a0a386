package api

import (
	"net/http"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// piProposalRoutes registers the doors of an entry's personal-information proposals: the list,
// and a steward's acceptance (an edit of the item through the directory's review) or dismissal.
// The catalogue decides who may (the rule of editing the directory).
func (s *Server) piProposalRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/entries/{code}/pi-proposals", s.handlePIProposals)
	mux.HandleFunc("POST /api/v1/entries/{code}/pi-proposals/{field}/accept", s.handleDecidePI(true))
	mux.HandleFunc("POST /api/v1/entries/{code}/pi-proposals/{field}/dismiss", s.handleDecidePI(false))
}

// piProposalRecordJSON is a stored proposal, camelCase like the GraphQL API.
type piProposalRecordJSON struct {
	Entry string `json:"entry"`
	piProposalJSON
	Run         string     `json:"run"`
	FirstRaised time.Time  `json:"firstRaised"`
	LastRaised  time.Time  `json:"lastRaised"`
	Status      string     `json:"status"`
	StatusName  string     `json:"statusName"`
	DecidedBy   string     `json:"decidedBy,omitempty"` // name
	DecidedAt   *time.Time `json:"decidedAt,omitempty"`
	Note        string     `json:"note,omitempty"`
	// Change: the version of the entry's change an acceptance made, for its review.
	Change   uint64 `json:"change,omitempty"`
	Revision uint64 `json:"revision"`
}

func piProposalBody(pr *catalog.PIProposal) piProposalRecordJSON {
	return piProposalRecordJSON{Entry: pr.Entry, piProposalJSON: proposalJSON(pr.Field, pr.Name, pr.PIType, pr.Grade, pr.Matched, pr.Sampled), Run: pr.Run, FirstRaised: pr.FirstRaised, LastRaised: pr.LastRaised,
		Status: pr.Status, StatusName: catalog.PIStatusNames[pr.Status], DecidedBy: pr.DecidedBy.Name,
		DecidedAt: timePtr(pr.DecidedAt), Note: pr.Note, Change: pr.Change, Revision: pr.Revision}
}

func (s *Server) handlePIProposals(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	code := r.PathValue("code")
	list, err := s.Cat.View().PIProposals(p, code)
	if err != nil {
		s.connectionError(w, code, err)
		return
	}
	out := []piProposalRecordJSON{}
	for _, pr := range list {
		out = append(out, piProposalBody(pr))
	}
	writeJSON(w, http.StatusOK, out)
}

type decidePIJSON struct {
	Base uint64 `json:"base"`
	Note string `json:"note"`
}

// handleDecidePI accepts or dismisses a proposal and answers with it as it is now.
func (s *Server) handleDecidePI(accept bool) http.HandlerFunc {
	what := map[bool]string{true: "接受个人信息类型建议", false: "忽略个人信息类型建议"}[accept]
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.principal(w, r)
		if p == nil {
			return
		}
		var in decidePIJSON
		if !decodeBody(w, r, &in, false) {
			return
		}
		code, field := r.PathValue("code"), r.PathValue("field")
		if in.Base == 0 {
			WriteError(w, s.Log, schemas.Userf(schemas.ErrInvalid, "须以 base 指明所依据的建议版本（列出建议时的 revision）"))
			return
		}
		var err error
		if accept {
			err = s.Cat.AcceptPI(r.Context(), p, code, field, in.Base, in.Note)
		} else {
			err = s.Cat.DismissPI(r.Context(), p, code, field, in.Note, in.Base)
		}
		if err != nil {
			s.connectionError(w, code, adminError(what, err))
			return
		}
		list, err := s.Cat.View().PIProposals(p, code)
		if err != nil {
			s.connectionError(w, code, err)
			return
		}
		for _, pr := range list {
			if pr.Field == field {
				writeJSON(w, http.StatusOK, piProposalBody(pr))
				return
			}
		}
		w.WriteHeader(http.StatusNoContent) // decided, then its item left the entry
	}
}
