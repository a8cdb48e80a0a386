package api

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// handleRejects streams a run's rejected-rows file. The catalogue's decision says who: the run
// must be one the principal may see (its entry exists for it and, for a district account, the
// run is its district's) and catalog.MayReadRejects must allow it — rejected rows are raw
// submitted values. A run that is hidden answers exactly like one that does not exist.
func (s *Server) handleRejects(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	v := s.Cat.View()
	run, e, ok := s.visibleRun(w, r, v, p)
	if !ok {
		return
	}
	var submitter *catalog.Principal
	if run.Principal != "" {
		submitter, _ = v.Principal(run.Principal)
	}
	if !catalog.MayReadRejects(p, e, run, submitter) {
		WriteError(w, s.Log, schemas.Userf(schemas.ErrForbidden,
			"无权下载该归集任务的拒绝行: 只有可报送该目录数据的账号可以下载; 区县账号只能下载本区县账号报送的批次"))
		return
	}
	if run.RejectedKey == "" {
		WriteError(w, s.Log, schemas.Userf(schemas.ErrNotFound, "该归集任务没有拒绝行"))
		return
	}
	rc, err := s.Bucket.Get(r.Context(), run.RejectedKey)
	if err != nil {
		WriteError(w, s.Log, schemas.Userf(fmt.Errorf("read rejects of run %s: %w", run.ID, err), "读取拒绝行文件失败"))
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="rejects-`+run.ID+`.csv"`)
	_, _ = io.Copy(w, rc)
}

// visibleRun is the run the path names, with its entry, when the catalogue's decision lets p
// see it (the entry exists for p and, for a district account, the run is its district's);
// otherwise it writes the answer of a run that does not exist and returns false.
func (s *Server) visibleRun(w http.ResponseWriter, r *http.Request, v *catalog.View, p *catalog.Principal) (*catalog.Run, *catalog.Entry, bool) {
	return s.visibleRunID(w, v, p, r.PathValue("run"))
}

// visibleRunID is visibleRun for the run id.
func (s *Server) visibleRunID(w http.ResponseWriter, v *catalog.View, p *catalog.Principal, id string) (*catalog.Run, *catalog.Entry, bool) {
	run, err := v.Run(id)
	if err == nil {
		e, access, err := v.EntryFor(p, run.Entry, time.Now())
		if err == nil && access.MaySeeRun(run) {
			return run, e, true
		}
	}
	WriteError(w, s.Log, schemas.Userf(schemas.ErrNotFound, "未找到该归集任务: %s", schemas.Clip(id, 64)))
	return nil, nil, false
}
