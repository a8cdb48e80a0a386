package ingest

import (
	"context"
	"fmt"
	"slices"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// Derived entries (catalog.Transform) are materialised here. The transform's SQL runs in a
// DuckDB of its own over the current snapshots of its inputs (derived_duck.go), and its rows
// are loaded into the entry as a replacement through the load path every submission and pull
// takes (derived_stream.go feeds them in as a pull's records): validated against the entry's
// items, rejected rows kept with their reasons, written as Parquet, committed in the one
// compare-and-swap, here together with the input snapshots read (catalog.Run.Inputs).

// KindDerived is the Run.Kind of a materialisation of a derived entry.
const KindDerived = "derived_transform"

// ReasonInputsUnchanged is the note of a materialisation that was not repeated: the entry's data
// was already made from the inputs' current snapshots by the same transform.
const ReasonInputsUnchanged = "输入未变化：加工目录的数据已由各输入目录的当前快照按当前加工 SQL 生成，本次未重新加工"

var (
	// ErrNotDerived is returned for materialising an entry that has no transform.
	ErrNotDerived error = &schemas.UserError{Msg: "该目录不是加工目录", Err: schemas.ErrInvalid}
	// ErrInputNotReady is returned when an input of a transform has no data yet.
	ErrInputNotReady error = &schemas.UserError{Msg: "加工的输入目录尚无数据", Err: schemas.ErrConflict}
	// ErrTransformFailed is the kind of a transform whose SQL failed or whose result cannot be
	// loaded as it stands (a column type no item holds, no rows at all).
	ErrTransformFailed error = &schemas.UserError{Msg: "加工执行失败", Err: schemas.ErrUnprocessable}
)

// Materialise runs entry code's transform over the current snapshots of its inputs and commits
// the result as the entry's new snapshot, replacing its previous rows, with the input snapshots
// read recorded in the run.
//
// p must be allowed, by the catalogue's decision, to load the entry by replacement city-wide (a
// principal limited to some districts cannot replace a whole derived table), and to read the
// rows of each input, all of them: the transform reads them on p's behalf, and the rejected
// rows echo their values. (Masks are the readers' business: personal information is masked
// for every reader, the system's materialisations included, and the derived entry's items
// carry their own.)
//
// No run is begun, and an error returned, for an entry without a transform or with an input
// that has no data yet. A materialisation whose entry's data was already made from the inputs'
// current snapshots by the same SQL is not repeated either: it returns an UNCHANGED Result
// without a run, as a pull that finds nothing new does. Once a run has begun, a failure (the
// SQL, a result without rows, no valid row or more invalid ones than the entry allows) is a
// FAILED run, returned together with an error (unlike Submit, whose caller reads a file without
// valid rows in the Result: here nobody but the transform is there to fix it).
func (s *Service) Materialise(ctx context.Context, p *catalog.Principal, code string) (*Result, error) {
	if err := s.cfg.Validate(); err != nil {
		return nil, err
	}
	entry, access, err := s.authorize(p, code)
	if err != nil {
		return nil, err
	}
	if err := mayDerive(p, entry, access); err != nil {
		return nil, err
	}
	release, err := s.turns.take(ctx, entry.ResourceCode)
	if err != nil {
		return nil, schemas.Userf(fmt.Errorf("wait for the running load of %s: %w", entry.ResourceCode, err),
			"该目录正在加工或归集另一批数据，等待超时或被取消，请稍后重试")
	}
	defer release()

	// Under the entry's turn, on one view: the transform as it stands now, the inputs' current
	// snapshots, and what the entry's data was made from.
	view := s.cat.View()
	entry, access, err = view.EntryFor(p, entry.ResourceCode, s.now())
	if err != nil {
		return nil, fmt.Errorf("resolve entry %q: %w", code, schemas.Userf(err, "目录资源 %s 不存在", quoteName(code)))
	}
	if err := collectable(entry); err != nil {
		return nil, err
	}
	if err := mayDerive(p, entry, access); err != nil {
		return nil, err
	}
	ins, err := s.derivedInputs(view, p, entry)
	if err != nil {
		return nil, err
	}
	run := catalog.Run{
		ID:        lake.NewID(),
		Entry:     entry.ResourceCode,
		Kind:      KindDerived,
		Source:    "加工：" + entry.Name,
		Principal: p.ID,
		Status:    catalog.RunRunning,
		StartedAt: s.now(),
		Inputs:    runInputs(ins),
		Transform: entry.Transform.Fingerprint(),
	}
	if _, stale := view.DerivedStale(entry.ResourceCode); !stale {
		run.ID = ""
		run.Status, run.Error, run.FinishedAt = catalog.RunUnchanged, ReasonInputsUnchanged, s.now()
		return &Result{Run: run, entryName: entry.Name, Unchanged: true}, nil
	}
	if err := s.cat.BeginRun(ctx, run); err != nil {
		return nil, fmt.Errorf("begin run for %s: %w", entry.ResourceCode, err)
	}
	s.runChanged(run.ID)
	res := &Result{Run: run, entryName: entry.Name}
	log := s.log.With("dataset", entry.Table, "run", run.ID, "user", p.ID)
	defer s.board.done(run.ID)
	if err := s.derive(ctx, p, entry, ins, res); err != nil {
		return res, s.fail(ctx, log, res, err)
	}
	if res.Run.Status == catalog.RunFailed {
		// The load refused the rows (none valid, or more invalid than the entry allows) and
		// recorded why: for a submission the district's to fix, here the transform's.
		return res, schemas.Userf(ErrTransformFailed, "目录 %s（%s）的加工结果未能入库：%s", entry.ResourceCode, entry.Name, res.Run.Error)
	}
	s.recordPI(ctx, log, res)
	if res.Snapshot != nil {
		log.Info("derived entry materialised", "snapshot", res.Snapshot.ID,
			"accepted", res.Run.RowsAccepted, "rejected", res.Run.RowsRejected)
	} else {
		log.Info("derived entry not materialised", "status", res.Run.Status, "rejected", res.Run.RowsRejected)
	}
	return res, nil
}

// mayDerive applies the access decision a to a materialisation of e: a replacement of all of
// e's rows, which only a principal that may replace city-wide may make.
func mayDerive(p *catalog.Principal, e *catalog.Entry, a catalog.Access) error {
	if e.Transform == nil {
		return schemas.Userf(ErrNotDerived, "目录 %s（%s）不是加工目录，没有可执行的加工 SQL", e.ResourceCode, e.Name)
	}
	who := p.ID
	if who == "" {
		who = p.Name
	}
	switch {
	case !a.Load:
		return schemas.Userf(ErrLoadForbidden, "账号 %s 不能向目录 %s（%s）写入数据，不能加工该目录", who, e.ResourceCode, e.Name)
	case a.LoadDistricts != nil || a.LoadScope != nil || a.ReplaceScope != nil:
		return schemas.Userf(ErrLoadForbidden, "账号 %s 只能写入部分区县的数据，不能以加工结果替换目录 %s（%s）的全部数据", who, e.ResourceCode, e.Name)
	case !a.MayReplace():
		return schemas.Userf(ErrLoadForbidden, "账号 %s 不能以替换方式写入目录 %s（%s），不能加工该目录", who, e.ResourceCode, e.Name)
	}
	return nil
}

// derivedInput is one input of a transform as a materialisation reads it.
type derivedInput struct {
	entry *catalog.Entry
	snap  *catalog.Snapshot
}

// derivedInputs resolves e's inputs on view, sorted by resource code: each must have data, and
// p must read all its rows.
func (s *Service) derivedInputs(view *catalog.View, p *catalog.Principal, e *catalog.Entry) ([]derivedInput, error) {
	who := p.ID
	if who == "" {
		who = p.Name
	}
	codes := slices.Sorted(slices.Values(e.Transform.Inputs))
	out := make([]derivedInput, 0, len(codes))
	for _, code := range codes {
		in, a, err := view.EntryFor(p, code, s.now())
		if err != nil { // an input p may not see: refused, as one p may not read
			return nil, schemas.Userf(ErrLoadForbidden, "账号 %s 不能读取加工输入目录 %s，不能加工目录 %s（%s）", who, code, e.ResourceCode, e.Name)
		}
		if !a.Read || a.AggregatesOnly || a.Rows != nil {
			return nil, schemas.Userf(ErrLoadForbidden, "账号 %s 不能读取加工输入目录 %s（%s）的全部数据，不能加工目录 %s（%s）",
				who, in.ResourceCode, in.Name, e.ResourceCode, e.Name)
		}
		if in.CurrentSnapshot == "" {
			return nil, schemas.Userf(ErrInputNotReady, "输入目录 %s（表 %s）尚无数据，不能加工", in.ResourceCode, in.Table)
		}
		snap, err := view.Snapshot(in.CurrentSnapshot)
		if err != nil {
			return nil, fmt.Errorf("snapshot %s of input %s: %w", in.CurrentSnapshot, in.ResourceCode, err)
		}
		out = append(out, derivedInput{entry: in, snap: snap})
	}
	return out, nil
}

// runInputs are the snapshots ins name, as a run records them.
func runInputs(ins []derivedInput) []catalog.RunInput {
	out := make([]catalog.RunInput, len(ins))
	for i, in := range ins {
		out[i] = catalog.RunInput{Entry: in.entry.ResourceCode, Snapshot: in.snap.ID}
	}
	return out
}

// StaleDerived lists the derived entries, as sorted resource codes, whose data was not made by
// their transform from their inputs' current snapshots: never materialised, an input has a
// newer snapshot, or the SQL was edited since. An entry is listed only when it could be
// materialised now: published, not 涉密, and every input with data (one still waiting for an
// input is not stale but not ready).
//
// The candidates come from the catalogue's derived-from index (View.EachDerived), so the cost
// follows the derived entries, not the directory's size; whether one is stale is the
// catalogue's to say (View.DerivedStale), as lineage's impact analysis asks it too.
func (s *Service) StaleDerived(v *catalog.View) []string {
	var out []string
	v.EachDerived(func(code string) bool {
		e, err := v.Entry(code)
		if err != nil || collectable(e) != nil {
			return true
		}
		if _, ok := currentInputs(v, e.Transform); !ok {
			return true
		}
		if _, stale := v.DerivedStale(code); stale {
			out = append(out, code)
		}
		return true
	})
	slices.Sort(out)
	return out
}

// currentInputs are the current snapshots of t's inputs, sorted by entry; false when an input
// has none.
func currentInputs(v *catalog.View, t *catalog.Transform) ([]catalog.RunInput, bool) {
	out := make([]catalog.RunInput, 0, len(t.Inputs))
	for _, code := range slices.Sorted(slices.Values(t.Inputs)) {
		in, err := v.Entry(code)
		if err != nil || in.CurrentSnapshot == "" {
			return nil, false
		}
		out = append(out, catalog.RunInput{Entry: code, Snapshot: in.CurrentSnapshot})
	}
	return out, true
}
