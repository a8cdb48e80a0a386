package catalog

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// PIProposal is a pi_type proposed for an item of an entry from the values its loads brought
// (STANDARDS §4): ingest samples the text items without one and records what it finds after
// each load (ProposePI). A steward of the entry's department accepts a proposal, which edits the
// item through the directory's review (AcceptPI), or dismisses it (DismissPI). An item has at
// most one proposal; a dismissal holds until the item's values suggest another pi_type.
type PIProposal struct {
	Entry   string        // Entry.ResourceCode
	Field   string        // Item.Field
	Name    string        // the item's name when last raised
	PIType  string        // schemas.PITypes id
	Grade   schemas.Grade // the grade the pi_type implies (schemas.PIGrade)
	Matched int           // sampled values of that kind
	Sampled int
	Run     string // Run.ID of the load that raised it last

	FirstRaised time.Time // when this pi_type was first proposed for the item
	LastRaised  time.Time

	Status    string // PIProposed, PIAccepted, PIDismissed
	DecidedBy Actor
	DecidedAt time.Time
	Note      string
	// Change, once accepted, is the version of the entry's change the acceptance made: the
	// revision a reviewer approves (ecolake catalog approve --base), as History.Index names it.
	Change uint64

	Revision uint64 // journal index of its last change: the base of a decision
}

// Proposal statuses.
const (
	PIProposed  = "PROPOSED"  // 待确认
	PIAccepted  = "ACCEPTED"  // 已接受
	PIDismissed = "DISMISSED" // 已忽略
)

// PIStatusNames are the Chinese names of the proposal statuses.
var PIStatusNames = map[string]string{PIProposed: "待确认", PIAccepted: "已接受", PIDismissed: "已忽略"}

const (
	tablePIProposals         = "pi_proposals"
	cmdProposePI     cmdType = "propose_pi"
	cmdDecidePI      cmdType = "decide_pi"
	ckptPIProposal   cmdType = "pi_proposal"
)

// piProposalsTableSchema indexes a proposal by entry and item: one per item, an entry's listed by prefix.
func piProposalsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tablePIProposals,
		Indexes: map[string]*memdb.IndexSchema{indexID: {Name: indexID, Unique: true, Indexer: &memdb.CompoundIndex{
			Indexes: []memdb.Indexer{&memdb.StringFieldIndex{Field: "Entry"}, &memdb.StringFieldIndex{Field: "Field"}},
		}}},
	}
}

// piFinding is what a load found of one item, as the propose command carries it.
type piFinding struct {
	Field   string `json:"field"`
	PIType  string `json:"pi_type"`
	Matched int    `json:"matched"`
	Sampled int    `json:"sampled"`
}

type proposePICmd struct {
	Run      string      `json:"run"`
	Entry    string      `json:"entry"`
	Findings []piFinding `json:"findings"`
}

type decidePICmd struct {
	Actor  Actor  `json:"actor"`
	Entry  string `json:"entry"`
	Field  string `json:"field"`
	Accept bool   `json:"accept"`
	Base   uint64 `json:"base"`
	Note   string `json:"note,omitempty"`
}

func init() {
	appliers[cmdProposePI] = applier{cmdVersion1, decodeApply(applyProposePI)}
	appliers[cmdDecidePI] = applier{cmdVersion1, decodeApply(applyDecidePI)}
}

// ProposePI records what load run found in entry's text items (Field, PIType, Matched and
// Sampled of each of props; the grade is the pi_type's, schemas.PIGrade). It is the system's
// action, for no principal: a new finding is raised, a pending one refreshed, a dismissed one
// left alone unless the values now suggest another pi_type, and nothing is proposed for an item
// that has a pi_type, in the published entry or in its change under way. Items the entry no
// longer has are passed over. Nothing is written when nothing would change.
func (s *Store) ProposePI(ctx context.Context, run, entry string, props []PIProposal) error {
	cmd := proposePICmd{Run: run, Entry: entry}
	for _, pr := range props {
		cmd.Findings = append(cmd.Findings, piFinding{Field: pr.Field, PIType: pr.PIType, Matched: pr.Matched, Sampled: pr.Sampled})
	}
	if !s.View().proposalsChange(&cmd) {
		return nil
	}
	return s.submit(ctx, cmdProposePI, cmd, func(txn *memdb.Txn) error {
		e, err := entryTxn(txn, entry)
		if err != nil {
			return err
		}
		pr := newProblems("目录 %s 的个人信息类型建议", entry)
		if len(cmd.Findings) > e.Items.Len() {
			pr.add("findings", "建议共 %d 条，多于目录的信息项 %d 个", len(cmd.Findings), e.Items.Len())
		}
		seen := map[string]bool{}
		for i, f := range cmd.Findings {
			at := fmt.Sprintf("findings[%d]", i)
			pr.code(at+".pi_type", schemas.PITypes, f.PIType)
			if f.Matched < 0 || f.Sampled < f.Matched {
				pr.add(at, "抽样数 %d、命中数 %d 不合理", f.Sampled, f.Matched)
			}
			if seen[f.Field] {
				pr.add(at+".field", "信息项%s重复", schemas.Quote(schemas.Clip(f.Field, 64)))
			}
			seen[f.Field] = true
		}
		return pr.err()
	})
}

// proposalsChange reports whether cmd would change any proposal.
func (v *View) proposalsChange(cmd *proposePICmd) bool {
	w, err := working(v.txn, cmd.Entry)
	if err != nil {
		return true // the command says why
	}
	for _, f := range cmd.Findings {
		if n, keep := raisePI(w, piProposal(v.txn, cmd.Entry, f.Field), f); n != nil || !keep {
			return true
		}
	}
	return false
}

// raisePI is what finding f makes of an item's proposal old (nil for none) on entry w: the new
// proposal (before its times, run and revision are set), nil to leave it as it is; keep false
// drops old, moot now that the item has a pi_type.
func raisePI(w *workingEntry, old *PIProposal, f piFinding) (next *PIProposal, keep bool) {
	live, ok := w.live.Item(f.Field)
	if !ok {
		return nil, true // an item removed since the load
	}
	cur, _ := w.entry().Item(f.Field)
	if live.PIType != "" || cur.PIType != "" {
		return nil, old == nil || old.Status != PIProposed
	}
	n := &PIProposal{Entry: w.live.ResourceCode, Field: f.Field, Name: live.Name, PIType: f.PIType,
		Grade: schemas.PIGrade(f.PIType), Matched: f.Matched, Sampled: f.Sampled, Status: PIProposed}
	switch {
	case old == nil:
	case old.Status == PIDismissed && old.PIType == f.PIType:
		return nil, true // a dismissal holds while the values suggest the same
	case old.Status == PIProposed && old.PIType == f.PIType:
		n.FirstRaised = old.FirstRaised
	}
	// Otherwise raised anew: another pi_type, or an acceptance whose change no longer sets it
	// (sent back and edited, or dropped with the entry's retirement).
	return n, true
}

func applyProposePI(txn *memdb.Txn, rec *record, cmd *proposePICmd) error {
	w, err := working(txn, cmd.Entry)
	if err != nil {
		return err
	}
	at := rec.At.UTC()
	for _, f := range cmd.Findings {
		old := piProposal(txn, cmd.Entry, f.Field)
		n, keep := raisePI(w, old, f)
		if !keep {
			if err := txn.Delete(tablePIProposals, old); err != nil {
				return fmt.Errorf("drop pi proposal %s.%s: %w", cmd.Entry, f.Field, err)
			}
			continue
		}
		if n == nil {
			continue
		}
		if n.FirstRaised.IsZero() {
			n.FirstRaised = at
		}
		n.LastRaised, n.Run, n.Revision = at, cmd.Run, rec.Index
		if err := txn.Insert(tablePIProposals, n); err != nil {
			return fmt.Errorf("insert pi proposal %s.%s: %w", cmd.Entry, f.Field, err)
		}
	}
	return nil
}

// piProposal returns the stored proposal of an item, nil when it has none.
func piProposal(txn *memdb.Txn, entry, field string) *PIProposal {
	raw, err := txn.First(tablePIProposals, indexID, entry, field)
	if err != nil {
		panic(fmt.Sprintf("catalog: %s: %v", tablePIProposals, err)) // schema bug, not input
	}
	if raw == nil {
		return nil
	}
	return raw.(*PIProposal)
}

// mayDecidePI asks the access decision whether p may accept or dismiss the proposals of entry
// (Access.Configure, the rule of editing the directory: administrators, and stewards of the
// entry's department). An entry that does not exist for p is not found.
func mayDecidePI(txn *memdb.Txn, p *Principal, entry string) (*workingEntry, error) {
	w, err := workingFor(txn, p, entry)
	if err != nil {
		return nil, err
	}
	if !decideRole(p, w.live).Configure {
		return nil, schemas.Userf(schemas.ErrForbidden, "无权处理目录 %s（%s）的个人信息类型建议：只有系统管理员与本处室的数据管理员可以",
			w.live.ResourceCode, w.live.Name)
	}
	return w, nil
}

// PIProposals lists entry's proposals for p, who must be allowed to edit the entry, in the order
// of its items; proposals of items the entry no longer has are left out.
func (v *View) PIProposals(p *Principal, entry string) ([]*PIProposal, error) {
	w, err := mayDecidePI(v.txn, p, entry)
	if err != nil {
		return nil, err
	}
	pos := func(field string) int {
		if _, i, ok := w.live.Items.Field(field); ok {
			return i
		}
		_, i, _ := w.entry().Items.Field(field)
		return w.live.Items.Len() + i
	}
	out := []*PIProposal{}
	each(v.txn, tablePIProposals, indexID+"_prefix", func(pr *PIProposal) {
		_, inLive := w.live.Item(pr.Field)
		_, inWork := w.entry().Item(pr.Field)
		if inLive || inWork {
			c := *pr
			out = append(out, &c)
		}
	}, w.live.ResourceCode, "")
	slices.SortStableFunc(out, func(a, b *PIProposal) int { return pos(a.Field) - pos(b.Field) })
	return out, nil
}

// AcceptPI accepts, on behalf of p, the proposal of entry's item field, whose revision p saw
// (base): the item gets the pi_type, and the grade it implies when that is higher, through the
// directory's review, exactly as an edit of the entry would. A published entry gets a change
// request, sent for review at once (a reviewer other than p publishes it; until then reads are
// as they were); an entry with a change under way gets the change added to it, which keeps its
// status. The history records the edit, the proposal the change's version. note, optional, is
// recorded with both.
func (s *Store) AcceptPI(ctx context.Context, p *Principal, entry, field string, base uint64, note string) error {
	return s.decidePI(ctx, p, decidePICmd{Actor: actorOf(p), Entry: entry, Field: field, Accept: true, Base: base, Note: clipNote(note)})
}

// DismissPI dismisses, on behalf of p, the proposal of entry's item field whose revision p saw
// (base), with an optional note: later loads whose values suggest the same pi_type raise it no
// more.
func (s *Store) DismissPI(ctx context.Context, p *Principal, entry, field, note string, base uint64) error {
	return s.decidePI(ctx, p, decidePICmd{Actor: actorOf(p), Entry: entry, Field: field, Base: base, Note: clipNote(note)})
}

func (s *Store) decidePI(ctx context.Context, p *Principal, cmd decidePICmd) error {
	return s.submit(ctx, cmdDecidePI, cmd, func(txn *memdb.Txn) error {
		w, err := mayDecidePI(txn, p, cmd.Entry)
		if err != nil {
			return err
		}
		pr := piProposal(txn, cmd.Entry, cmd.Field)
		switch {
		case pr == nil:
			return schemas.Userf(ErrNotFound, "目录 %s 的信息项%s没有个人信息类型建议", cmd.Entry, schemas.Quote(schemas.Clip(cmd.Field, 64)))
		case pr.Revision != cmd.Base:
			return schemas.Userf(ErrConflict, "目录 %s 信息项 %s 的建议已更新（当前版本 %d，您的操作基于版本 %d），请刷新后重新操作",
				cmd.Entry, cmd.Field, pr.Revision, cmd.Base)
		case pr.Status != PIProposed:
			return schemas.Userf(ErrConflict, "目录 %s 信息项 %s 的建议已%s", cmd.Entry, cmd.Field, PIStatusNames[pr.Status])
		case !cmd.Accept:
			return nil
		}
		if w.live.Status == StatusRetired {
			return schemas.Userf(ErrConflict, "目录 %s 已下线，请先恢复再修改", cmd.Entry)
		}
		it, ok := w.entry().Item(cmd.Field)
		switch {
		case !ok:
			return schemas.Userf(ErrConflict, "目录 %s 修改中的版本已没有信息项 %s", cmd.Entry, cmd.Field)
		case it.PIType != "":
			return schemas.Userf(ErrConflict, "目录 %s 的信息项 %s 已标为%s", cmd.Entry, cmd.Field, schemas.PITypes.NameOf(it.PIType))
		}
		n, status := piEdit(w, pr, cmd.Actor)
		if err := mayWriteEntry(txn, p, n); err != nil {
			return err
		}
		if status == StatusDraft {
			return validateDraft(txn, n, n, w.entry())
		}
		return validatePublish(txn, n)
	})
}

// piEdit is the version that accepting pr makes of the entry w, and the status it goes to: the
// version under way with the item's pi_type set and its grade raised to the pi_type's if lower,
// sent for review (by actor) unless a draft is under way, which stays one.
func piEdit(w *workingEntry, pr *PIProposal, actor Actor) (*Entry, string) {
	n := w.entry().Copy()
	items := n.Items.Slice()
	for i := range items {
		if items[i].Field == pr.Field {
			items[i].PIType = pr.PIType
			items[i].Grade = schemas.MaxGrade(items[i].Grade, pr.Grade)
		}
	}
	n.Items = ItemsOf(items...)
	n.Review = w.review()
	n.Review.UpdatedBy = actor.Name
	n.Review.Editors = addEditor(n.Review.Editors, actor.ID)
	status := w.status()
	if status == StatusPublished {
		status, n.Review.SubmittedBy, n.Review.Comment = StatusPendingReview, actor.ID, ""
	}
	return n, status
}

func applyDecidePI(txn *memdb.Txn, rec *record, cmd *decidePICmd) error {
	old := piProposal(txn, cmd.Entry, cmd.Field)
	if old == nil {
		return fmt.Errorf("pi proposal %s.%s: %w", cmd.Entry, cmd.Field, ErrNotFound)
	}
	pr := *old
	pr.Status, pr.DecidedBy, pr.DecidedAt, pr.Note, pr.Revision = PIDismissed, cmd.Actor, rec.At.UTC(), cmd.Note, rec.Index
	if cmd.Accept {
		w, err := working(txn, cmd.Entry)
		if err != nil {
			return err
		}
		before := w.entry()
		n, status := piEdit(w, &pr, cmd.Actor)
		it, _ := n.Item(pr.Field)
		note := fmt.Sprintf("接受个人信息类型建议：信息项 %s（%s）标为%s，分级%s", pr.Field, pr.Name,
			schemas.PITypes.NameOf(pr.PIType), it.Grade.Name())
		if cmd.Note != "" {
			note += "。" + cmd.Note
		}
		if err := w.store(txn, rec, n, status, ChangeEdit, note); err != nil {
			return err
		}
		hc := &entryCmd{Actor: cmd.Actor, Note: clipNote(note)}
		if err := addHistory(txn, rec, hc, cmd.Entry, HistEdit, status, before, n); err != nil {
			return err
		}
		pr.Status, pr.Change = PIAccepted, rec.Index
	}
	if err := txn.Insert(tablePIProposals, &pr); err != nil {
		return fmt.Errorf("decide pi proposal %s.%s: %w", cmd.Entry, cmd.Field, err)
	}
	return nil
}
