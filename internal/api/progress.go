package api

import (
	"net/http"
)

// progressJSON is a load's progress as the UI draws its bar.
type progressJSON struct {
	Run            string   `json:"run"`
	Status         string   `json:"status"`
	Running        bool     `json:"running"`
	RowsRead       int64    `json:"rowsRead"`
	RowsAccepted   int64    `json:"rowsAccepted"`
	RowsRejected   int64    `json:"rowsRejected"`
	BytesRead      int64    `json:"bytesRead,omitempty"`
	TotalBytes     int64    `json:"totalBytes,omitempty"`
	Percent        *float64 `json:"percent,omitempty"` // of the file read, when its size is known
	RowsPerSecond  float64  `json:"rowsPerSecond,omitempty"`
	ElapsedSeconds float64  `json:"elapsedSeconds,omitempty"`
}

// handleProgress answers how far a run's load is: live while this service runs it, the run's
// counts once it has ended. Who may ask is the catalogue's decision on the run, as for its
// rejected rows; a run hidden from the caller answers exactly like one that does not exist.
func (s *Server) handleProgress(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	run, _, ok := s.visibleRun(w, r, s.Cat.View(), p)
	if !ok {
		return
	}
	out := progressJSON{Run: run.ID, Status: run.Status, RowsRead: run.RowsRead, RowsAccepted: run.RowsAccepted, RowsRejected: run.RowsRejected}
	if s.Ingest != nil {
		if pr, live := s.Ingest.Progress(run.ID); live {
			out.Running, out.RowsRead, out.RowsAccepted, out.RowsRejected = true, pr.RowsRead, pr.RowsAccepted, pr.RowsRejected
			out.BytesRead, out.TotalBytes = pr.BytesRead, pr.TotalBytes
			out.RowsPerSecond, out.ElapsedSeconds = pr.RowsPerSecond(), pr.Elapsed.Seconds()
			if pct, ok := pr.Percent(); ok {
				out.Percent = &pct
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}
