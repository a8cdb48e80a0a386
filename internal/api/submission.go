package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/schemas"
)

// maxSubmissionBytes bounds one multipart submission.
var maxSubmissionBytes int64 = 2 << 30

// handleSubmission hands the file to ingest, which asks the access decision whether, for which
// district, by which mode and which rows the principal may load. An entry that does not exist
// for the principal is answered exactly as one that does not exist at all.
func (s *Server) handleSubmission(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	code := r.PathValue("code")
	// Ask the decision before a byte of the upload is read: a caller that may not load the
	// entry (or to whom it does not exist) cannot make the service spool gigabytes.
	if err := s.Ingest.Authorize(p, code); err != nil {
		s.submitError(w, code, err)
		return
	}
	// Bound the spooling in progress before a byte of the body is read (see Uploads).
	if !s.Uploads.enter(p.ID) {
		WriteError(w, s.Log, schemas.Userf(schemas.ErrBusy,
			"报送繁忙: 同时进行的报送已达上限 (每个账号 %d 个, 全部 %d 个), 请待已提交的报送完成后重试",
			s.Uploads.per, s.Uploads.total))
		return
	}
	defer s.Uploads.leave(p.ID)
	r.Body = http.MaxBytesReader(w, r.Body, maxSubmissionBytes)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			WriteError(w, s.Log, schemas.Userf(err, "报送文件过大: 一次报送不能超过 %d 字节", mbe.Limit))
			return
		}
		WriteError(w, s.Log, schemas.Userf(schemas.ErrInvalid, "请求应为 multipart/form-data, 文件放在 file 字段"))
		return
	}
	defer file.Close()
	replace, _ := strconv.ParseBool(r.FormValue("replace"))
	begun, ended := s.startedBy(r, p.ID)
	defer ended()
	res, err := s.Ingest.Submit(r.Context(), ingest.Submission{
		Entry: code, Filename: hdr.Filename, Body: file, Size: hdr.Size, Sheet: r.FormValue("sheet"),
		District: r.FormValue("district"), Principal: p, Replace: replace,
		Begun: begun,
	})
	if err != nil && res == nil {
		s.submitError(w, code, err)
		return
	}
	if err != nil {
		WriteError(w, s.Log, err)
		return
	}
	status := http.StatusCreated
	switch {
	case res.Duplicate:
		status = http.StatusOK // nothing new: the file was loaded before
	case res.Snapshot == nil:
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, submissionBody(res))
}

// submitError answers a refused submission; an entry that does not exist for the caller is
// answered exactly as a missing one.
func (s *Server) submitError(w http.ResponseWriter, code string, err error) {
	if errors.Is(err, schemas.ErrNotFound) {
		WriteError(w, s.Log, schemas.Userf(schemas.ErrNotFound, "未找到目录: %s", schemas.Clip(code, 64)))
		return
	}
	WriteError(w, s.Log, err)
}

// The JSON of the submission endpoint, camelCase like the GraphQL API.
type submissionJSON struct {
	Run      runJSON       `json:"run"`
	Snapshot *snapshotJSON `json:"snapshot"`
	Encoding string        `json:"encoding"`
	// How the file was laid out, as found (ingest.Result).
	Delimiter  string `json:"delimiter,omitempty"`
	Sheet      string `json:"sheet,omitempty"`
	HeaderLine int    `json:"headerLine,omitempty"`
	// The pi_types the values of text items suggest, for a steward to confirm.
	PIProposals []piProposalJSON `json:"piProposals,omitempty"`
	// Duplicate: the file was loaded into the entry before; this run added nothing.
	Duplicate bool `json:"duplicate,omitempty"`
	// Unchanged: the run added nothing (a duplicate, a pull with nothing new).
	Unchanged bool `json:"unchanged,omitempty"`
	// Watermark: where a pull's records end, committed with them.
	Watermark string `json:"watermark,omitempty"`
	// The reporting period the accepted rows cover (the entry's period item).
	PeriodFrom string       `json:"periodFrom,omitempty"`
	PeriodTo   string       `json:"periodTo,omitempty"`
	Rejects    []rejectJSON `json:"rejects"`
	Summary    string       `json:"summary"`
}

type piProposalJSON struct {
	Field      string `json:"field"`
	Name       string `json:"name"`
	PIType     string `json:"piType"`
	PITypeName string `json:"piTypeName"`
	Grade      string `json:"grade"`
	GradeName  string `json:"gradeName"`
	Matched    int    `json:"matched"`
	Sampled    int    `json:"sampled"`
}

// proposalJSON is a pi_type proposal with its Chinese labels.
func proposalJSON(field, name, piType string, grade schemas.Grade, matched, sampled int) piProposalJSON {
	return piProposalJSON{Field: field, Name: name, PIType: piType, PITypeName: schemas.PITypes.NameOf(piType),
		Grade: string(grade), GradeName: schemas.Grades.NameOf(string(grade)), Matched: matched, Sampled: sampled}
}

type runJSON struct {
	ID           string    `json:"id"`
	Entry        string    `json:"entry"`
	Source       string    `json:"source"`
	District     string    `json:"district,omitempty"`
	DistrictName string    `json:"districtName,omitempty"` // Chinese label of district
	Principal    string    `json:"principal,omitempty"`
	Status       string    `json:"status"`
	StartedAt    time.Time `json:"startedAt"`
	FinishedAt   time.Time `json:"finishedAt"`
	RowsRead     int64     `json:"rowsRead"`
	RowsAccepted int64     `json:"rowsAccepted"`
	RowsRejected int64     `json:"rowsRejected"`
	Bytes        int64     `json:"bytes,omitempty"`
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

func districtName(code string) string {
	if code == "" {
		return ""
	}
	return schemas.Districts.NameOf(code)
}

func submissionBody(res *ingest.Result) submissionJSON {
	r := res.Run
	body := submissionJSON{
		Run: runJSON{ID: r.ID, Entry: r.Entry, Source: r.Source, District: r.District, DistrictName: districtName(r.District), Principal: r.Principal,
			Status: r.Status, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, RowsRead: r.RowsRead,
			RowsAccepted: r.RowsAccepted, RowsRejected: r.RowsRejected, Bytes: r.Bytes, Error: r.Error},
		Encoding: res.Encoding, Delimiter: res.Delimiter, Sheet: res.Sheet, HeaderLine: res.HeaderLine, Duplicate: res.Duplicate,
		Unchanged: res.Unchanged, Watermark: r.Watermark,
		Rejects: []rejectJSON{}, Summary: res.Summary(),
	}
	if sp := res.Period; !sp.From.IsZero() {
		body.PeriodFrom, body.PeriodTo = sp.From.UTC().Format(time.RFC3339), sp.To.UTC().Format(time.RFC3339)
	}
	for _, pr := range res.PIProposals {
		body.PIProposals = append(body.PIProposals, proposalJSON(pr.Field, pr.Name, pr.PIType, pr.Grade, pr.Matched, pr.Sampled))
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
