package api

import (
	"io"
	"net/http"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lineage"
	"github.com/cqeco/ecolake/lineage/openlineage"
)

// handleLineageEvent takes one OpenLineage RunEvent from an outside tool (POST /api/v1/lineage),
// as lineage.Record: 201 with the job as recorded (which datasets were mapped onto entries), 400
// with each problem under its JSON pointer, 403 for an account that may not edit the directory,
// 413 for an event over openlineage.MaxEventBytes.
func (s *Server) handleLineageEvent(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, openlineage.MaxEventBytes))
	if err != nil {
		WriteError(w, s.Log, err) // 413 beyond the bound
		return
	}
	j, err := lineage.Record(r.Context(), s.Cat, p, data)
	if err != nil {
		WriteError(w, s.Log, err)
		return
	}
	writeJSON(w, http.StatusCreated, externalJobJSON(j))
}

type datasetJSON struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Entry     string `json:"entry,omitempty"` // the directory entry it was mapped onto
}

type externalJobView struct {
	Job     string        `json:"job"`
	Run     string        `json:"runId"`
	Event   string        `json:"eventType"`
	Inputs  []datasetJSON `json:"inputs"`
	Outputs []datasetJSON `json:"outputs"`
}

func externalJobJSON(j *catalog.ExternalJob) externalJobView {
	refs := func(rs []catalog.DatasetRef) []datasetJSON {
		out := make([]datasetJSON, len(rs))
		for i, r := range rs {
			out[i] = datasetJSON{Namespace: r.Namespace, Name: r.Name, Entry: r.Entry}
		}
		return out
	}
	return externalJobView{Job: j.Key, Run: j.LastRun, Event: j.LastEvent, Inputs: refs(j.Inputs), Outputs: refs(j.Outputs)}
}

// handleMaterialise runs a derived entry's transform now (POST /api/v1/entries/{code}/materialise)
// and answers as a pull by hand is answered (loadByHand): 200 when there was nothing to do (the
// data was made from the inputs' current snapshots by the current SQL), 422 when the result could
// not be loaded, with the run's error.
func (s *Server) handleMaterialise(w http.ResponseWriter, r *http.Request) {
	s.loadByHand(w, r, s.Ingest.Materialise, http.StatusUnprocessableEntity)
}
