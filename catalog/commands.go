package catalog

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// cmdType names a journaled command. Each type has exactly one current version; a record with an
// unknown type or version stops replay (ErrCorrupt) instead of being guessed at.
type cmdType string

const (
	cmdSeedDistricts   cmdType = "seed_districts"
	cmdPutDepartment   cmdType = "put_department"
	cmdPutEntry        cmdType = "put_entry"
	cmdSetEntryStatus  cmdType = "set_entry_status"
	cmdPutPrincipal    cmdType = "put_principal"
	cmdBeginRun        cmdType = "begin_run"
	cmdFailRun         cmdType = "fail_run"
	cmdFinishUnchanged cmdType = "finish_unchanged"
	cmdCommitSnapshot  cmdType = "commit_snapshot"
	cmdVersion1                = 1
)

// Commands of principals and tokens (principal.go, token.go).
const (
	cmdDisablePrincipal cmdType = "disable_principal"
	cmdCreateToken      cmdType = "create_token"
	cmdRevokeToken      cmdType = "revoke_token"
)

// record is the payload of one journal frame.
type record struct {
	Index   uint64          `json:"index"`
	Type    cmdType         `json:"type"`
	Version int             `json:"version"`
	At      time.Time       `json:"at"`
	Payload json.RawMessage `json:"payload"`
}

// Command payloads. They carry what the caller asked for; everything derived (timestamps,
// indexes, preserved fields) is computed on apply from the record and the state, so that replay
// reproduces the same state.
type (
	seedDistrictsCmd struct {
		Districts []schemas.District `json:"districts"`
	}
	putDepartmentCmd struct {
		Department Department `json:"department"`
	}
	putEntryCmd struct {
		Entry entryJSON `json:"entry"`
	}
	setEntryStatusCmd struct {
		Code   string `json:"code"`
		Status string `json:"status"`
	}
	runCmd struct {
		Run Run `json:"run"`
	}
	commitSnapshotCmd struct {
		Snapshot       Snapshot `json:"snapshot"`
		Run            Run      `json:"run"`
		ExpectedParent string   `json:"expected_parent"`
	}
)

// entryJSON is an entry as a command carries it, the same JSON as the entry's: its items as an
// []Item that shadows the packed list, which encoding/json then reads and writes directly (it
// scans a json.Marshaler's output once more, and an Unmarshaler's input twice: a tenth of what
// writers spend).
type entryJSON struct {
	Entry
	Items []Item
}

func jsonEntry(e *Entry) *entryJSON { return &entryJSON{Entry: *e, Items: e.Items.Slice()} }

// entry returns a new copy of the entry carried, its items packed.
func (j *entryJSON) entry() *Entry {
	e := j.Entry.Copy()
	e.Items = ItemsOf(j.Items...)
	return e
}

// applier applies one decoded record to a write transaction.
type applier struct {
	version int
	apply   applyFuncs
}

// applyFuncs decode a command's payload and apply it. Decoding depends on nothing in the state,
// so a live command is decoded before it takes the store's lock (commit.go); replay does both in
// turn. Both apply what was decoded from the journal's bytes, so they cannot differ.
type applyFuncs struct {
	decode func(payload json.RawMessage) (any, error)
	apply  func(txn *memdb.Txn, rec *record, cmd any) error
}

var appliers = map[cmdType]applier{
	cmdSeedDistricts:   {cmdVersion1, decodeApply(applySeedDistricts)},
	cmdPutDepartment:   {cmdVersion1, decodeApply(applyPutDepartment)},
	cmdPutEntry:        {cmdVersion1, decodeApply(applyPutEntry)},
	cmdSetEntryStatus:  {cmdVersion1, decodeApply(applySetEntryStatus)},
	cmdPutPrincipal:    {cmdVersion1, decodeApply(applyPutPrincipal)},
	cmdBeginRun:        {cmdVersion1, decodeApply(applyBeginRun)},
	cmdFailRun:         {cmdVersion1, decodeApply(applyFailRun)},
	cmdFinishUnchanged: {cmdVersion1, decodeApply(applyFinishUnchanged)},
	cmdCommitSnapshot:  {cmdVersion1, decodeApply(applyCommitSnapshot)},

	cmdDisablePrincipal: {cmdVersion1, decodeApply(applyDisablePrincipal)},
	cmdCreateToken:      {cmdVersion1, decodeApply(applyCreateToken)},
	cmdRevokeToken:      {cmdVersion1, decodeApply(applyRevokeToken)},
}

func decodeApply[T any](fn func(txn *memdb.Txn, rec *record, cmd *T) error) applyFuncs {
	return applyFuncs{
		decode: func(payload json.RawMessage) (any, error) {
			cmd := new(T)
			if err := json.Unmarshal(payload, cmd); err != nil {
				return nil, err
			}
			return cmd, nil
		},
		apply: func(txn *memdb.Txn, rec *record, cmd any) error { return fn(txn, rec, cmd.(*T)) },
	}
}

// applierFor returns the applier of rec's type and version.
func applierFor(rec *record) (applier, error) {
	a, ok := appliers[rec.Type]
	if !ok {
		return applier{}, fmt.Errorf("unknown command type %q: %w", rec.Type, ErrCorrupt)
	}
	if rec.Version != a.version {
		return applier{}, fmt.Errorf("command %s version %d is not supported (want %d): %w", rec.Type, rec.Version, a.version, ErrCorrupt)
	}
	return a, nil
}

// applyRecord decodes and applies rec and advances the journal index, all inside txn.
func applyRecord(txn *memdb.Txn, rec *record) error {
	a, err := applierFor(rec)
	if err != nil {
		return err
	}
	cmd, err := a.apply.decode(rec.Payload)
	if err != nil {
		return fmt.Errorf("decode %s payload: %w", rec.Type, err)
	}
	return applyDecoded(txn, rec, a, cmd)
}

// applyDecoded applies cmd, the decoded payload of rec, and advances the journal index.
func applyDecoded(txn *memdb.Txn, rec *record, a applier, cmd any) error {
	if err := a.apply.apply(txn, rec, cmd); err != nil {
		return err
	}
	if err := propagateGrades(txn, rec); err != nil {
		return err
	}
	return setIndex(txn, rec.Index)
}

// appendRecord appends json.Marshal(rec) to dst, without its reflection and its second pass over
// the payload, which json.Marshal already produced compact.
func appendRecord(dst []byte, rec *record) ([]byte, error) {
	at, err := rec.At.MarshalJSON()
	if err != nil {
		return dst, err
	}
	typ, err := json.Marshal(string(rec.Type))
	if err != nil {
		return dst, err
	}
	dst = append(dst, `{"index":`...)
	dst = strconv.AppendUint(dst, rec.Index, 10)
	dst = append(dst, `,"type":`...)
	dst = append(dst, typ...)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, int64(rec.Version), 10)
	dst = append(dst, `,"at":`...)
	dst = append(dst, at...)
	dst = append(dst, `,"payload":`...)
	dst = append(dst, rec.Payload...)
	return append(dst, '}'), nil
}

func setIndex(txn *memdb.Txn, idx uint64) error {
	if err := txn.Insert(tableIndex, &indexRow{Key: indexKeyJournal, Value: idx}); err != nil {
		return fmt.Errorf("set index: %w", err)
	}
	return nil
}

func readIndex(txn *memdb.Txn) uint64 { return readCounter(txn, indexKeyJournal) }

func readCounter(txn *memdb.Txn, key string) uint64 {
	raw, err := txn.First(tableIndex, indexID, key)
	if err != nil || raw == nil {
		return 0
	}
	return raw.(*indexRow).Value
}

// bumpGeneration moves the metadata generation (View.Generation).
func bumpGeneration(txn *memdb.Txn) error {
	if err := txn.Insert(tableIndex, &indexRow{Key: indexKeyGeneration, Value: readCounter(txn, indexKeyGeneration) + 1}); err != nil {
		return fmt.Errorf("move metadata generation: %w", err)
	}
	return nil
}

func applySeedDistricts(txn *memdb.Txn, _ *record, cmd *seedDistrictsCmd) error {
	for i := range cmd.Districts {
		d := cmd.Districts[i]
		if err := txn.Insert(tableDistricts, &d); err != nil {
			return fmt.Errorf("insert district %s: %w", d.Code, err)
		}
	}
	return nil
}

func applyPutDepartment(txn *memdb.Txn, _ *record, cmd *putDepartmentCmd) error {
	d := cmd.Department
	if err := txn.Insert(tableDepartments, &d); err != nil {
		return fmt.Errorf("insert department %s: %w", d.Code, err)
	}
	return nil
}

func applyPutEntry(txn *memdb.Txn, rec *record, cmd *putEntryCmd) error {
	e := cmd.Entry.entry()
	at := rec.At.UTC()
	e.CreatedAt, e.CurrentSnapshot = at, ""
	old, err := entryTxn(txn, e.ResourceCode)
	if err == nil {
		e.CreatedAt, e.CurrentSnapshot = old.CreatedAt, old.CurrentSnapshot
	} else {
		old = nil
	}
	assignItemIDs(old, e)
	if e.Status == statusPublished && e.PublishDate.IsZero() {
		e.PublishDate = at
	}
	e.PublishDate = utc(e.PublishDate)
	e.UpdatedAt = at
	e.ModifyIndex, e.Revision = rec.Index, rec.Index
	return insertEntry(txn, e)
}

func applySetEntryStatus(txn *memdb.Txn, rec *record, cmd *setEntryStatusCmd) error {
	old, err := entryTxn(txn, cmd.Code)
	if err != nil {
		return err
	}
	e := old.Copy()
	at := rec.At.UTC()
	if cmd.Status == statusPublished && e.Status != statusPublished && e.PublishDate.IsZero() {
		e.PublishDate = at
	}
	e.Status = cmd.Status
	e.UpdatedAt = at
	e.ModifyIndex, e.Revision = rec.Index, rec.Index
	return insertEntry(txn, e)
}

func applyBeginRun(txn *memdb.Txn, rec *record, cmd *runCmd) error {
	r := cmd.Run
	boundRun(&r)
	if r.StartedAt.IsZero() {
		r.StartedAt = rec.At
	}
	r.StartedAt = r.StartedAt.UTC()
	r.FinishedAt = utc(r.FinishedAt)
	if err := insertRun(txn, &r); err != nil {
		return err
	}
	return notePull(txn, &r)
}

// finishRun merges the outcome in r into the stored running run.
func finishRun(txn *memdb.Txn, rec *record, r Run, status, snapshot string) (*Run, error) {
	old, err := runTxn(txn, r.ID)
	if err != nil {
		return nil, err
	}
	n := *old
	n.Status = status
	n.Snapshot = snapshot
	n.RowsRead, n.RowsAccepted, n.RowsRejected, n.Bytes = r.RowsRead, r.RowsAccepted, r.RowsRejected, r.Bytes
	n.RejectedKey, n.Error = r.RejectedKey, schemas.Clip(r.Error, MaxRunError)
	n.FinishedAt = r.FinishedAt
	if n.FinishedAt.IsZero() {
		n.FinishedAt = rec.At
	}
	n.FinishedAt = n.FinishedAt.UTC()
	n.Watermark = r.Watermark
	n.Inputs = r.Inputs
	if err := insertRun(txn, &n); err != nil {
		return nil, err
	}
	if err := notePull(txn, &n); err != nil {
		return nil, err
	}
	return &n, nil
}

func applyFailRun(txn *memdb.Txn, rec *record, cmd *runCmd) error {
	_, err := finishRun(txn, rec, cmd.Run, RunFailed, "")
	return err
}

func applyFinishUnchanged(txn *memdb.Txn, rec *record, cmd *runCmd) error {
	_, err := finishRun(txn, rec, cmd.Run, RunUnchanged, "")
	return err
}

func applyCommitSnapshot(txn *memdb.Txn, rec *record, cmd *commitSnapshotCmd) error {
	old, err := entryTxn(txn, cmd.Snapshot.Entry)
	if err != nil {
		return err
	}
	if old.CurrentSnapshot != cmd.ExpectedParent {
		return conflictErr(old, cmd.ExpectedParent)
	}
	snap := cmd.Snapshot
	if snap.Run == "" {
		snap.Run = cmd.Run.ID
	}
	if snap.CommittedAt.IsZero() {
		snap.CommittedAt = rec.At
	}
	snap.CommittedAt = snap.CommittedAt.UTC()
	if err := insertSnapshot(txn, &snap); err != nil {
		return err
	}
	if err := noteCurrentSnapshot(txn, &snap); err != nil {
		return err
	}
	if _, err := finishRun(txn, rec, cmd.Run, cmd.Run.Status, snap.ID); err != nil {
		return err
	}
	e := old.Copy()
	e.CurrentSnapshot = snap.ID
	e.ModifyIndex = rec.Index
	return insertEntryData(txn, old, e)
}

func conflictErr(e *Entry, expected string) error {
	return fmt.Errorf("entry %s: current snapshot is %q, expected %q: %w", e.ResourceCode, e.CurrentSnapshot, expected, ErrConflict)
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
