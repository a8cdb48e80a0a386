package catalog

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Snapshot retention: how long an entry's past snapshots keep their data.
//
// An entry keeps its snapshots by count (the newest RetainSnapshots), by age (those that stopped
// being current less than RetainDays ago, so that a time-travel read of any moment of the last
// RetainDays days finds its data), or both; a snapshot is kept while any bound set keeps it. An
// entry's own settings override the service's default (Retention), field by field.
//
// Never expired: the entry's current snapshot; a snapshot a derived entry's kept snapshot was
// made from (its run's Inputs: the lineage pins it); and a snapshot the caller says is pinned
// (the service pins the snapshots its audit shows were read recently).
//
// Expiry is one journaled command (expire_snapshots) that stamps each snapshot's ExpiredAt: the
// snapshot stays in the catalogue with its rows, run and lineage, but is never read again, and
// its files, once no kept snapshot references them, are left to the lake's garbage collection.
// A crash between the expiry and the collection leaves only unreferenced files, which the next
// collection removes.

const cmdExpireSnapshots cmdType = "expire_snapshots"

func init() {
	appliers[cmdExpireSnapshots] = applier{cmdVersion1, decodeApply(applyExpireSnapshots)}
}

// Bounds of the retention settings and of one expiry command.
const (
	MaxRetainSnapshots = 100000
	MaxRetainDays      = 36500
	// MaxExpiryBatch is the most snapshots one expire_snapshots command names: a province's
	// first expiry is written as several records, none of them large.
	MaxExpiryBatch = 1000
)

// Retention bounds how long past snapshots are kept; a zero field sets no bound of its kind,
// and a zero Retention keeps everything.
type Retention struct {
	Snapshots int // the newest this many snapshots are kept, the current one among them
	Days      int // snapshots that stopped being current less than this many days ago are kept
}

// Off reports whether r keeps every snapshot.
func (r Retention) Off() bool { return r.Snapshots == 0 && r.Days == 0 }

// Validate checks r as a service default.
func (r Retention) Validate() error {
	p := newProblems("快照保留策略")
	checkRetainBounds(p, "retain_snapshots", "retain_days", &r.Snapshots, &r.Days)
	return p.err()
}

// RetentionOf is e's retention: its own settings where set, def's elsewhere.
func (e *Entry) RetentionOf(def Retention) Retention {
	r := def
	if e.RetainSnapshots != nil {
		r.Snapshots = *e.RetainSnapshots
	}
	if e.RetainDays != nil {
		r.Days = *e.RetainDays
	}
	return r
}

// Expired reports whether retention has expired s: its data is not read any more.
func (s *Snapshot) Expired() bool { return !s.ExpiredAt.IsZero() }

// ExpiredError is the refusal of a read of s, an expired snapshot of entry code.
func ExpiredError(code string, s *Snapshot) error {
	return schemas.Userf(ErrNotFound, "目录 %s 的快照 %s（%s 入库）已于 %s 按快照保留策略过期，数据已清理，不能再读取；请读取当前数据或保留期内的快照",
		code, s.ID, s.CommittedAt.In(displayZone).Format("2006-01-02 15:04"), s.ExpiredAt.In(displayZone).Format("2006-01-02 15:04"))
}

// checkRetention checks e's retention settings into p.
func checkRetention(p *problems, e *Entry) {
	checkRetainBounds(p, "retain_snapshots", "retain_days", e.RetainSnapshots, e.RetainDays)
}

func checkRetainBounds(p *problems, countAt, daysAt string, count, days *int) {
	if count != nil && (*count < 0 || *count > MaxRetainSnapshots) {
		p.add(countAt, "快照保留个数 %d 应在 0 到 %d 之间（0 为不按个数限制）", *count, MaxRetainSnapshots)
	}
	if days != nil && (*days < 0 || *days > MaxRetainDays) {
		p.add(daysAt, "快照保留天数 %d 应在 0 到 %d 之间（0 为不按天数限制）", *days, MaxRetainDays)
	}
}

// Expiry is one snapshot retention expires.
type Expiry struct {
	Entry        string
	Snapshot     string
	CommittedAt  time.Time
	SupersededAt time.Time // when the next snapshot replaced it as the entry's current one
	Rows, Bytes  int64
}

// RetentionPlan is what one retention pass found.
type RetentionPlan struct {
	Expire    []Expiry
	Entries   int // entries whose retention bounds anything
	Snapshots int // their snapshots looked at
	Pinned    int // past snapshots due to expire but kept because lineage or a read pins them
}

// PlanRetention lists the snapshots whose retention has run out at now, entry by entry in
// resource-code order, oldest first within an entry. def is the service's default; pinned, when
// not nil, names snapshots kept whatever their age (the service's recently read ones).
//
// Its cost is two walks of the entries (the first looks only at derived ones' kept snapshots
// and their runs) and, for each entry whose retention bounds anything, a walk of its snapshots
// in time order (its load state): run once per collection, not per request.
func (v *View) PlanRetention(def Retention, now time.Time, pinned func(id string) bool) RetentionPlan {
	lineage := v.lineagePins()
	var plan RetentionPlan
	v.EachEntry("", func(e *Entry) bool {
		r := e.RetentionOf(def)
		if r.Off() {
			return true
		}
		plan.Entries++
		var expire []Expiry
		rank := 0
		var newer time.Time // commit time of the snapshot before in the walk (newest first)
		st := loadStateTxn(v.txn, e.ResourceCode)
		for s := range st.Snapshots.Backward() {
			plan.Snapshots++
			superseded := newer
			rank, newer = rank+1, s.CommittedAt
			if s.ID == e.CurrentSnapshot || s.Expired() || superseded.IsZero() {
				continue
			}
			byCount := r.Snapshots > 0 && rank <= r.Snapshots
			byAge := r.Days > 0 && now.Sub(superseded) < time.Duration(r.Days)*24*time.Hour
			if byCount || byAge {
				continue
			}
			if lineage[s.ID] || pinned != nil && pinned(s.ID) {
				plan.Pinned++
				continue
			}
			expire = append(expire, Expiry{Entry: s.Entry, Snapshot: s.ID, CommittedAt: s.CommittedAt,
				SupersededAt: superseded, Rows: s.Rows, Bytes: s.Bytes})
		}
		for i := len(expire) - 1; i >= 0; i-- {
			plan.Expire = append(plan.Expire, expire[i])
		}
		return true
	})
	return plan
}

// lineagePins are the snapshots a derived entry's kept snapshots were made from.
func (v *View) lineagePins() map[string]bool {
	pins := map[string]bool{}
	v.EachEntry("", func(e *Entry) bool {
		if e.Transform == nil {
			return true
		}
		st := loadStateTxn(v.txn, e.ResourceCode)
		for s := range st.Snapshots.All() {
			if s.Expired() || s.Run == "" {
				continue
			}
			if r, err := runTxn(v.txn, s.Run); err == nil {
				for _, in := range r.Inputs {
					pins[in.Snapshot] = true
				}
			}
		}
		return true
	})
	return pins
}

// expireSnapshotsCmd expires the snapshots named.
type expireSnapshotsCmd struct {
	Snapshots []string `json:"snapshots"`
}

// ExpireSnapshots expires the snapshots ids (PlanRetention's), at most MaxExpiryBatch per
// journal record, and returns how many it expired. A snapshot expired already is passed over; a
// current one, or one that does not exist, refuses its record whole.
func (s *Store) ExpireSnapshots(ctx context.Context, ids []string) (int, error) {
	done := 0
	for len(ids) > 0 {
		n := min(len(ids), MaxExpiryBatch)
		if err := s.submit(ctx, cmdExpireSnapshots, expireSnapshotsCmd{Snapshots: ids[:n]}, nil); err != nil {
			return done, err
		}
		done, ids = done+n, ids[n:]
	}
	return done, nil
}

func applyExpireSnapshots(txn *memdb.Txn, rec *record, cmd *expireSnapshotsCmd) error {
	if len(cmd.Snapshots) > MaxExpiryBatch {
		return schemas.Userf(ErrInvalid, "一次最多使 %d 个快照过期，本次 %d 个", MaxExpiryBatch, len(cmd.Snapshots))
	}
	at := rec.At.UTC()
	for _, id := range cmd.Snapshots {
		old, err := snapshotTxn(txn, id)
		if err != nil {
			return err
		}
		if old.Expired() {
			continue
		}
		e, err := entryTxn(txn, old.Entry)
		if err != nil {
			return err
		}
		if e.CurrentSnapshot == id {
			return fmt.Errorf("snapshot %s is the current one of %s and never expires: %w", id, e.ResourceCode, ErrConflict)
		}
		s := *old
		s.ExpiredAt = at
		if err := insertSnapshot(txn, &s); err != nil {
			return fmt.Errorf("expire snapshot %s: %w", id, err)
		}
	}
	return nil
}

// intText is a count setting as the API writes it, "" when unset.
func intText(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v)
}

func copyInt(v *int) *int {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}
