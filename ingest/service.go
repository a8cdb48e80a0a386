// Package ingest is how data gets into the lake: district submissions (区县报送) are decoded,
// validated item by item against the directory entry, written as Parquet, and committed as a
// new snapshot; every row that cannot be loaded lands in a rejected-rows file with its reason.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
	"github.com/cqeco/ecolake/schemas/xlsxguard"
)

// KindDistrictSubmission is the Run.Kind of district file submissions.
const KindDistrictSubmission = "district_submission"

// statusPublished is the schemas.EntryStatuses id of entries that may receive data.
const statusPublished = "PUBLISHED"

// Service loads submissions into the lake and records them in the catalogue. It is safe for
// concurrent use; concurrent submissions to one entry serialise on the catalogue's
// compare-and-swap of the current snapshot.
type Service struct {
	cat    *catalog.Store
	bucket lake.Bucket
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	board  *progressBoard // the progress of the loads running (progress.go)
	turns  *entryTurns    // one load per entry at a time (progress.go)
	// observers hear of every run the catalogue recorded as begun or ended, in the order added.
	observers []RunObserver
}

// RunObserver hears of runs: RunChanged is called with a run's id once the catalogue has
// recorded that it began, and again once it recorded its end. It must not block (lineage's
// OpenLineage publisher queues).
type RunObserver interface{ RunChanged(runID string) }

// ObserveRuns makes o hear, beside the observers added before it, of every run begun or ended
// from now on; add them before the service is used.
func (s *Service) ObserveRuns(o RunObserver) { s.observers = append(s.observers, o) }

// runChanged tells the observers that the catalogue recorded a change of run id.
func (s *Service) runChanged(id string) {
	for _, o := range s.observers {
		o.RunChanged(id)
	}
}

// New returns a Service. Zero fields of cfg take their defaults, except MaxRejectedShare, whose
// zero refuses a file with any invalid row; a nil log discards.
func New(cat *catalog.Store, bucket lake.Bucket, cfg Config, log *slog.Logger) *Service {
	def := DefaultConfig()
	if cfg.BatchRows == 0 {
		cfg.BatchRows = def.BatchRows
	}
	if cfg.MaxRejectsInResult == 0 {
		cfg.MaxRejectsInResult = def.MaxRejectsInResult
	}
	if cfg.XLSX == (xlsxguard.Limits{}) {
		cfg.XLSX = def.XLSX
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cat: cat, bucket: bucket, cfg: cfg, log: log, now: time.Now, board: &progressBoard{runs: map[string]Progress{}},
		turns: &entryTurns{turns: map[string]*turn{}}}
}

// WithClock sets the time source (tests and the demo loader back-date loads).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

// Submission is one file a district (or a steward on its behalf) hands in.
type Submission struct {
	Entry    string // resource code ("0101/000001") or table name
	Filename string // for messages and the run's Source
	Body     io.Reader
	Sheet    string // the sheet of a workbook to read; "" for its only one
	// Size is the file's size in bytes when known (0 when not), for the share read in Progress.
	Size int64
	// Progress, when set, is called with the load's progress when it starts, twice a second while
	// it reads (also while it waits for the upload), and once when it has read the file; from a
	// goroutine of the load, never two calls at once.
	Progress func(Progress)
	// Begun, when set, is called with the run's id once the run has begun (is in the
	// catalogue), before the load reads anything: a caller can follow the run from then on.
	Begun    func(run string)
	District string // submitting district (code or name), optional
	// Principal is who submits; every load decision is the catalogue's decision for it. nil is
	// refused; the offline command line passes catalog.Operator().
	Principal *catalog.Principal
	// stream, for a pull, is read instead of Body (Pull).
	stream Stream
	// Replace: false, the new snapshot = parent's files + new files; true, the new files replace
	// the parent's rows — all of them, or only those of the principal's districts when the
	// decision limits replacements to a row scope.
	Replace bool
}

// Submit loads one submission. Only the final catalogue commit makes data visible, so a failure
// at any point leaves the entry's current snapshot as it was.
//
// Whether the principal may load the entry at all, for which district, by replacement, and which
// rows, is decided by catalog's access decision; a refused submission begins no run. An entry
// that does not exist for the principal is the same not-found error as one that does not exist.
//
// The Result is non-nil whenever a run was begun, also together with an error (the run is then
// FAILED and recorded). A file without any loadable row is not an error: the run is FAILED with
// ReasonNoValidRows, no snapshot is made, and the rejected-rows file is still written.
func (s *Service) Submit(ctx context.Context, sub Submission) (*Result, error) {
	if err := s.cfg.Validate(); err != nil {
		return nil, err
	}
	if sub.Body == nil {
		return nil, schemas.Userf(ErrInvalidSubmission, "%s: 没有文件内容", quoteName(sub.Filename))
	}
	return s.submit(ctx, sub, KindDistrictSubmission, nil)
}

// submit loads sub as a run of kind. open, for a pull, starts the read once the run has begun
// (its failure is the run's); nil reads sub.Body.
func (s *Service) submit(ctx context.Context, sub Submission, kind string, open func(ctx context.Context) (Stream, error)) (*Result, error) {
	p := sub.Principal
	entry, access, err := s.authorize(p, sub.Entry)
	if err != nil {
		return nil, err
	}
	district := ""
	if sub.District != "" {
		d, ok := schemas.LookupDistrict(sub.District)
		if !ok {
			return nil, schemas.Userf(ErrInvalidSubmission, "%s: 报送区县“%s”不是重庆市的区县", quoteName(sub.Filename), quoteName(sub.District))
		}
		district = d.Code
	} else if len(access.LoadDistricts) == 1 {
		district = access.LoadDistricts[0] // an account of one district submits for it
	}
	upsert := !sub.Replace && entry.WriteMode == catalog.WriteModeUpsert // removes matched rows too
	if err := mayLoad(p, entry, access, district, sub.Replace || upsert); err != nil {
		return nil, err
	}
	access = access.ForDistrict(entry, district)
	loadScope, err := newRowScope(entry, access.LoadScope)
	if err != nil {
		return nil, err
	}

	// One load of an entry at a time: a second waits for the first to end before its run begins.
	release, err := s.turns.take(ctx, entry.ResourceCode)
	if err != nil {
		return nil, schemas.Userf(fmt.Errorf("wait for the running load of %s: %w", entry.ResourceCode, err),
			"该目录正在归集另一批数据，等待超时或被取消，请稍后重新报送")
	}
	defer release()
	run := catalog.Run{
		ID:        lake.NewID(),
		Entry:     entry.ResourceCode,
		Kind:      kind,
		Source:    sub.Filename,
		District:  district,
		Principal: p.ID,
		Status:    catalog.RunRunning,
		StartedAt: s.now(),
	}
	// A pull's source is read up to its first record before any run begins: a pull that finds
	// nothing new leaves no run (catalog.Store.NotePull), only the connection's attempt.
	var openErr error
	if open != nil {
		var empty bool
		if sub.stream, empty, openErr = peekStream(ctx, open); openErr == nil {
			defer sub.stream.Close()
			if empty {
				return s.nothingNew(ctx, entry, run, sub.stream.Watermark())
			}
		}
	}
	if err := s.cat.BeginRun(ctx, run); err != nil {
		return nil, fmt.Errorf("begin run for %s: %w", entry.ResourceCode, err)
	}
	s.runChanged(run.ID)
	if sub.Begun != nil {
		sub.Begun(run.ID)
	}
	res := &Result{Run: run, entryName: entry.Name, Scoped: access.Rows != nil}
	log := s.log.With("dataset", entry.Table, "run", run.ID, "user", p.ID)
	defer s.board.done(run.ID)

	err = openErr
	if err == nil {
		err = s.load(ctx, entry, sub, loadScope, res)
	}
	if err != nil {
		return res, s.fail(ctx, log, res, err)
	}
	s.recordPI(ctx, log, res)
	if res.Snapshot == nil {
		log.Info("submission had no loadable rows", "rejected", res.Run.RowsRejected)
	} else {
		log.Info("submission committed", "snapshot", res.Snapshot.ID,
			"accepted", res.Run.RowsAccepted, "rejected", res.Run.RowsRejected)
	}
	return res, nil
}

// Authorize answers, before a submission's body is read, whether principal p may load entry ref
// at all: the same answers Submit gives for an entry that does not exist for p, one that is not
// collectable, or one p may not load. Doors call it first so that a refused caller cannot make
// the service read (and spool) a large upload.
func (s *Service) Authorize(p *catalog.Principal, ref string) error {
	e, a, err := s.authorize(p, ref)
	if err != nil {
		return err
	}
	if !a.Load {
		return mayLoad(p, e, a, "", false)
	}
	return nil
}

// authorize resolves the entry for p through the access decision and refuses what may never be
// loaded.
func (s *Service) authorize(p *catalog.Principal, ref string) (*catalog.Entry, catalog.Access, error) {
	if p == nil {
		return nil, catalog.Access{}, schemas.Userf(ErrLoadForbidden, "未指明报送账号")
	}
	entry, access, err := s.cat.View().EntryFor(p, ref, s.now())
	if err != nil {
		return nil, access, fmt.Errorf("resolve entry %q: %w", ref, schemas.Userf(err, "目录资源 %s 不存在", quoteName(ref)))
	}
	if err := collectable(entry); err != nil {
		return nil, access, err
	}
	return entry, access, nil
}

// mayLoad applies the access decision a to a submission for district ("" for none) of entry e.
func mayLoad(p *catalog.Principal, e *catalog.Entry, a catalog.Access, district string, replace bool) error {
	who := p.ID
	if who == "" {
		who = p.Name
	}
	switch {
	case !a.Load:
		return schemas.Userf(ErrLoadForbidden, "账号 %s 不能向目录 %s（%s）报送数据", who, e.ResourceCode, e.Name)
	case !a.MayLoadDistrict(district) && district == "":
		return schemas.Userf(ErrLoadForbidden, "账号 %s 须指明报送区县（可报送：%s）", who, districtNames(a.LoadDistricts))
	case !a.MayLoadDistrict(district):
		return schemas.Userf(ErrLoadForbidden, "账号 %s 不能为区县“%s”报送数据（可报送：%s）",
			who, districtNames([]string{district}), districtNames(a.LoadDistricts))
	case replace && !a.MayReplace():
		return schemas.Userf(ErrLoadForbidden, "账号 %s 不能以替换方式向目录 %s（%s）报送数据", who, e.ResourceCode, e.Name)
	}
	return nil
}

// districtNames renders district codes by name for messages.
func districtNames(codes []string) string {
	names := make([]string, len(codes))
	for i, c := range codes {
		names[i] = c
		if d, ok := schemas.LookupDistrict(c); ok {
			names[i] = d.Name
		}
	}
	return strings.Join(names, "、")
}

// ReasonInterrupted is the error of a run its process did not live to finish.
const ReasonInterrupted = "归集进程中断, 未提交任何数据"

// FailInterrupted records as failed every run still RUNNING, and returns how many: called at
// start-up by the process that holds the catalogue's lock, such runs belong to a process that
// died before committing. A pull's connection counts the failure, so the scheduler retries it
// after its back-off.
func (s *Service) FailInterrupted(ctx context.Context) (int, error) {
	n := 0
	for _, r := range s.cat.View().RunningRuns() {
		f := *r
		f.Status, f.FinishedAt, f.Error = catalog.RunFailed, s.now(), ReasonInterrupted
		if err := s.cat.FailRun(ctx, f); err != nil {
			return n, fmt.Errorf("record interrupted run %s: %w", r.ID, err)
		}
		s.runChanged(r.ID)
		s.log.Warn("interrupted run recorded as failed", "run", r.ID, "dataset", r.Entry)
		n++
	}
	return n, nil
}

// finishUnchanged records a run that found nothing to add, also when ctx was cancelled.
func (s *Service) finishUnchanged(ctx context.Context, r catalog.Run) error {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
	}
	if err := s.cat.FinishUnchanged(ctx, r); err != nil {
		return fmt.Errorf("record unchanged run %s: %w", r.ID, err)
	}
	s.runChanged(r.ID)
	return nil
}

// fail finishes the run of res, which err ended before its commit, as FAILED with err's text and
// returns err (with the failure to record it, if any).
func (s *Service) fail(ctx context.Context, log *slog.Logger, res *Result, err error) error {
	res.Snapshot = nil
	res.Run.Status = catalog.RunFailed
	res.Run.Snapshot = ""
	res.Run.Error = s.runError(log, err)
	if e, ok := explainFailure(err); ok {
		err = e
		res.Run.Error, _ = schemas.UserMessage(e)
	}
	res.Run.FinishedAt = s.now()
	if ferr := s.failRun(ctx, res.Run); ferr != nil {
		err = errors.Join(err, ferr)
	}
	return err
}

// failRun records the failure, also when ctx was cancelled: the run must not stay RUNNING.
func (s *Service) failRun(ctx context.Context, r catalog.Run) error {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
	}
	if err := s.cat.FailRun(ctx, r); err != nil {
		return fmt.Errorf("record failed run %s: %w", r.ID, err)
	}
	s.runChanged(r.ID)
	return nil
}

// runError is the text a failed run keeps: what the submitter may read (schemas.UserMessage),
// never internal detail such as lake keys or Go error text, which goes to the log instead. Every
// reader of the run (entry.runs, the figures' reasons) sees it.
func (s *Service) runError(log *slog.Logger, err error) string {
	if msg, ok := schemas.UserMessage(err); ok && msg != "" {
		return msg
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "归集被中断（请求取消或超时），未提交任何数据"
	}
	log.Error("submission failed", "err", err)
	return "归集失败：服务内部错误，未提交任何数据（详情见服务日志）"
}

// collectable refuses entries that may not be loaded: unpublished and 涉密 ones.
func collectable(e *catalog.Entry) error {
	if e.Secret {
		return schemas.Userf(ErrNotCollectable, "目录 %s（%s）为涉密资源，不归集入湖", e.ResourceCode, e.Name)
	}
	if e.Status != statusPublished {
		return schemas.Userf(ErrNotCollectable, "目录 %s（%s）状态为“%s”，只有已发布的目录可以报送数据",
			e.ResourceCode, e.Name, schemas.EntryStatuses.NameOf(e.Status))
	}
	return nil
}
