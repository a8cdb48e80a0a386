package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Grading (STANDARDS §3): a grade per item, the entry's grade the highest of its items and any
// manual override (就高从严), and per entry the evidence the grade was decided on. Raising a
// grade takes effect at once, on the published entry too, so the query layer follows at once;
// lowering one of a published entry is a change request that needs a reviewer and a reason.

// Evidence is the record of how an entry was graded.
type Evidence struct {
	Entry        string
	ImpactObject string   // schemas.ImpactObjects id
	ImpactDegree string   // schemas.ImpactDegrees id
	Factors      []string // schemas.GradingFactors ids
	Basis        string   // 定级依据
	Proposed     schemas.Grade
	GradedBy     Actor
	GradedAt     time.Time
}

const tableGradings = "gradings"

func gradingsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableGradings,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Entry")},
	}
}

// Grading is a grading request: new grades of some items, the override, the evidence.
type Grading struct {
	Code  string
	Base  uint64
	Items map[string]schemas.Grade `json:",omitempty"` // item field → new grade; others keep theirs
	// Override replaces the manual override when not nil ("" clears it).
	Override *schemas.Grade `json:",omitempty"`
	Evidence *Evidence      `json:",omitempty"`
	Reason   string         // required for a downgrade, and for a grade below the matrix's
}

const cmdGradeEntry cmdType = "grade_entry"

type gradeCmd struct {
	Actor   Actor   `json:"actor"`
	Grading Grading `json:"grading"`
}

func init() {
	appliers[cmdGradeEntry] = applier{cmdVersion1, decodeApply(applyGradeEntry)}
}

// GradeEntry grades an entry on behalf of p and reports whether the change waits for review (a
// downgrade of a published entry) instead of taking effect at once.
func (s *Store) GradeEntry(ctx context.Context, p *Principal, g Grading) (pending bool, err error) {
	g.Reason = clipNote(g.Reason)
	if g.Evidence != nil {
		ev := *g.Evidence
		ev.Factors = slices.Clone(ev.Factors)
		ev.Basis = clipNote(ev.Basis)
		g.Evidence = &ev
	}
	err = s.submit(ctx, cmdGradeEntry, gradeCmd{Actor: actorOf(p), Grading: g}, func(txn *memdb.Txn) error {
		w, err := forEditor(txn, p, g.Code, g.Base)
		if err != nil {
			return err
		}
		if err := mayEditDepartment(p, w.live, w.live); err != nil {
			return err
		}
		if w.live.Status == StatusRetired {
			return schemas.Userf(ErrConflict, "目录 %s 已下线，不能定级", g.Code)
		}
		n, err := checkGrading(w, &g)
		if err != nil {
			return err
		}
		pending = lowers(w.live, n)
		if pending && w.change != nil && w.change.Kind != ChangeDowngrade {
			return schemas.Userf(ErrConflict, "目录 %s 有未完成的变更申请，请先完成其审核再降级", g.Code)
		}
		if pending {
			return validatePublish(txn, n)
		}
		return nil
	})
	return pending, err
}

// checkGrading validates g against the working version and returns the version it gives.
func checkGrading(w *workingEntry, g *Grading) (*Entry, error) {
	cur := w.entry()
	p := newProblems("目录 %s 定级", cur.ResourceCode)
	for field, gr := range g.Items {
		if _, ok := cur.Item(field); !ok {
			p.add("items."+schemas.Clip(field, 64), "不是本目录的信息项")
		}
		p.code("items."+schemas.Clip(field, 64), schemas.Grades, string(gr))
	}
	if g.Override != nil && *g.Override != "" {
		p.code("override", schemas.Grades, string(*g.Override))
	}
	if ev := g.Evidence; ev != nil {
		p.code("evidence.impact_object", schemas.ImpactObjects, ev.ImpactObject)
		p.code("evidence.impact_degree", schemas.ImpactDegrees, ev.ImpactDegree)
		for i, f := range ev.Factors {
			p.code(fmt.Sprintf("evidence.factors[%d]", i), schemas.GradingFactors, f)
		}
		p.required("evidence.basis", ev.Basis)
	}
	if len(p.list) > 0 {
		return nil, p.err()
	}
	n := regraded(cur, g)
	if lowers(w.live, n) && strings.TrimSpace(g.Reason) == "" {
		p.add("reason", "降低已发布目录的分级须填写原因，并经审核员审核")
	}
	if ev := g.Evidence; ev != nil {
		if want, ok := schemas.ProposeGrade(ev.ImpactObject, ev.ImpactDegree); ok && n.Grade().Rank() < want.Rank() && strings.TrimSpace(g.Reason) == "" {
			p.add("reason", "定级矩阵建议%s，目录分级%s低于建议，须填写原因（就高从严）", want.Name(), n.Grade().Name())
		}
	}
	return n, p.err()
}

// regraded is e with the grades of g applied.
func regraded(e *Entry, g *Grading) *Entry {
	n := e.Copy()
	items := n.Items.Slice()
	for i := range items {
		if gr, ok := g.Items[items[i].Field]; ok {
			items[i].Grade = gr
		}
	}
	n.Items = ItemsOf(items...)
	if g.Override != nil {
		n.GradeOverride = *g.Override
	}
	return n
}

// lowers reports whether n grades anything of the published entry live lower than it is: an
// item (matched by id), the override, or the entry as a whole. Nothing is lowered for an entry
// not published.
func lowers(live, n *Entry) bool {
	if live.Status != StatusPublished {
		return false
	}
	if n.Grade().Rank() < live.Grade().Rank() || n.GradeOverride.Rank() < live.GradeOverride.Rank() {
		return true
	}
	for _, it := range live.Items.All() {
		for _, ni := range n.Items.All() {
			if ni.ID == it.ID && ni.Grade.Rank() < it.Grade.Rank() {
				return true
			}
		}
	}
	return false
}

// raised is e with every grade of n that is higher than e's: the part of a grading that takes
// effect at once.
func raised(e, n *Entry) *Entry {
	out := e.Copy()
	items := out.Items.Slice()
	for i := range items {
		for _, ni := range n.Items.All() {
			if ni.ID == items[i].ID && ni.Grade.Rank() > items[i].Grade.Rank() {
				items[i].Grade = ni.Grade
			}
		}
	}
	out.Items = ItemsOf(items...)
	out.GradeOverride = schemas.MaxGrade(out.GradeOverride, n.GradeOverride)
	return out
}

func applyGradeEntry(txn *memdb.Txn, rec *record, cmd *gradeCmd) error {
	g := cmd.Grading
	w, err := working(txn, g.Code)
	if err != nil {
		return err
	}
	hc := &entryCmd{Actor: cmd.Actor, Note: g.Reason}
	if ev := g.Evidence; ev != nil {
		e := *ev
		e.Entry, e.GradedBy, e.GradedAt = g.Code, cmd.Actor, rec.At.UTC()
		e.Proposed, _ = schemas.ProposeGrade(e.ImpactObject, e.ImpactDegree)
		if err := txn.Insert(tableGradings, &e); err != nil {
			return fmt.Errorf("insert grading of %s: %w", g.Code, err)
		}
	}
	n := regraded(w.entry(), &g)
	before := w.live.Copy()
	if lowers(w.live, n) {
		// The downgrade waits for review; what it raises takes effect now all the same.
		n.Review = Review{Editors: []string{cmd.Actor.ID}, UpdatedBy: cmd.Actor.Name, SubmittedBy: cmd.Actor.ID}
		if err := w.store(txn, rec, n, StatusPendingReview, ChangeDowngrade, g.Reason); err != nil {
			return err
		}
		up := raised(before, n)
		if len(Diff(before, up)) > 0 {
			up.Review.UpdatedBy = cmd.Actor.Name
			if err := (&workingEntry{live: w.live}).store(txn, rec, up, StatusPublished, "", ""); err != nil {
				return err
			}
		}
		return addHistory(txn, rec, hc, g.Code, HistGrade, StatusPendingReview, before, n)
	}
	if w.live.Status == StatusPublished {
		up := raised(w.live, n)
		up.Review.UpdatedBy = cmd.Actor.Name
		if w.change != nil {
			// The change under way gets the raised grades too, so approving it cannot undo them.
			c := w.change.Copy()
			c.Proposed = raised(c.Proposed, n)
			c.Revision, c.UpdatedAt = rec.Index, rec.At.UTC()
			c.Proposed.Revision = rec.Index
			if err := txn.Insert(tableChanges, c); err != nil {
				return fmt.Errorf("raise change of %s: %w", g.Code, err)
			}
		}
		if err := (&workingEntry{live: w.live}).store(txn, rec, up, StatusPublished, "", ""); err != nil {
			return err
		}
		return addHistory(txn, rec, hc, g.Code, HistGrade, StatusPublished, before, up)
	}
	n.Review.UpdatedBy = cmd.Actor.Name
	n.Review.Editors = addEditor(n.Review.Editors, cmd.Actor.ID)
	if err := w.store(txn, rec, n, w.status(), "", ""); err != nil {
		return err
	}
	return addHistory(txn, rec, hc, g.Code, HistGrade, w.status(), before, n)
}

// EvidenceFor returns the grading evidence of an entry that exists for p, ErrNotFound when the
// entry was never graded with evidence.
func (v *View) EvidenceFor(p *Principal, code string) (*Evidence, error) {
	e, err := entryTxn(v.txn, code)
	if err != nil || !exists(p, e) {
		return nil, entryNotFound(code)
	}
	ev, err := first[Evidence](v.txn, tableGradings, "grading evidence", code)
	if err != nil {
		return nil, err
	}
	c := *ev
	c.Factors = slices.Clone(ev.Factors)
	return &c, nil
}

// proposeSharing fills empty sharing and opening types with the defaults of the entry's grade.
func proposeSharing(e *Entry) {
	share, open := schemas.DefaultSharing(e.Grade())
	if e.ShareType == "" {
		e.ShareType = share
	}
	if e.OpenType == "" {
		e.OpenType = open
	}
}

// checkSharing enforces STANDARDS §4 on publishing: 不予共享, and sharing or opening wider than
// the grade's defaults, need a legal basis (narrower needs none); important and core data are
// never opened.
func checkSharing(p *problems, e *Entry) {
	if p.draft {
		return
	}
	g := e.Grade()
	if g.Rank() >= schemas.Important.Rank() && e.OpenType != "" && e.OpenType != openNever {
		p.add("open_type", "%s不予开放（当前为%s）", g.Name(), schemas.OpenTypes.NameOf(e.OpenType))
	}
	if strings.TrimSpace(e.SharingBasis) != "" {
		return
	}
	if e.ShareType == ShareNotShared {
		p.add("sharing_basis", "不予共享须填写法律依据")
		return
	}
	share, open := schemas.DefaultSharing(g)
	if wider(schemas.ShareTypes, e.ShareType, share) || wider(schemas.OpenTypes, e.OpenType, open) {
		p.add("sharing_basis", "分级为%s时默认%s、%s；设为%s、%s须填写法律依据",
			g.Name(), schemas.ShareTypes.NameOf(share), schemas.OpenTypes.NameOf(open),
			schemas.ShareTypes.NameOf(e.ShareType), schemas.OpenTypes.NameOf(e.OpenType))
	}
}

// wider reports whether sharing (or opening) type id is wider than def: the lists run from the
// widest (无条件) to the narrowest (不予).
func wider(list *schemas.CodeList, id, def string) bool {
	a, ok1 := list.Lookup(id)
	b, ok2 := list.Lookup(def)
	return ok1 && ok2 && a.Ordinal < b.Ordinal
}

const openNever = "NOT_OPEN"
