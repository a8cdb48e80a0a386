package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

const (
	checkpointName = "checkpoint"
	checkpointTmp  = "checkpoint.tmp"

	ckptVersion = 1
)

// Checkpoint record types: a header with the last index, one record per stored object, and an
// end record with the object count so that a short file can never pass for a complete one.
const (
	ckptHeader     cmdType = "checkpoint_header"
	ckptEnd        cmdType = "checkpoint_end"
	ckptEntry      cmdType = "entry"
	ckptDepartment cmdType = "department"
	ckptDistrict   cmdType = "district"
	ckptSnapshot   cmdType = "snapshot"
	ckptRun        cmdType = "run"
	ckptPrincipal  cmdType = "principal"
	ckptToken      cmdType = "token"
)

// ckptTables maps each stored table to its record type and a decoder that inserts one object.
var ckptTables = []struct {
	table  string
	typ    cmdType
	insert func(txn *memdb.Txn, raw json.RawMessage) error
}{
	{tableDepartments, ckptDepartment, insertJSON[Department](tableDepartments)},
	{tableDistricts, ckptDistrict, insertJSON[schemas.District](tableDistricts)},
	{tableEntries, ckptEntry, func(txn *memdb.Txn, raw json.RawMessage) error {
		e := new(Entry)
		if err := json.Unmarshal(raw, e); err != nil {
			return err
		}
		legacyItemIDs(e)
		return insertEntry(txn, e) // the items table is derived, not checkpointed
	}},
	{tableSnapshots, ckptSnapshot, insertJSON[Snapshot](tableSnapshots)},
	{tableRuns, ckptRun, insertJSON[Run](tableRuns)},
	{tablePrincipals, ckptPrincipal, insertJSON[Principal](tablePrincipals)},
	{tableTokens, ckptToken, insertJSON[Token](tableTokens)},
}

func insertJSON[T any](table string) func(*memdb.Txn, json.RawMessage) error {
	return func(txn *memdb.Txn, raw json.RawMessage) error {
		obj := new(T)
		if err := json.Unmarshal(raw, obj); err != nil {
			return err
		}
		return txn.Insert(table, obj)
	}
}

type ckptHeaderBody struct {
	Index uint64 `json:"index"`
}

type ckptEndBody struct {
	Objects int `json:"objects"`
}

func segmentPath(dir string, first uint64) string { return filepath.Join(dir, segmentName(first)) }

// checkpointLocked writes the state to a temp file, fsyncs, renames it over the checkpoint,
// fsyncs the directory, rotates the journal to a new segment and only then removes the old
// segments. A crash at any step leaves a checkpoint plus a journal that together hold every
// command. Callers hold s.mu.
func (s *Store) checkpointLocked() error {
	idx := s.Index()
	snap := s.db.Snapshot()
	txn := snap.Txn(false)
	at := s.cfg.Clock().UTC()
	tmp := filepath.Join(s.cfg.Dir, checkpointTmp)
	if err := writeCheckpoint(tmp, txn, idx, at); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, filepath.Join(s.cfg.Dir, checkpointName)); err != nil {
		return fmt.Errorf("install checkpoint: %w", err)
	}
	if err := syncDir(s.cfg.Dir); err != nil {
		return err
	}
	if s.j.seg.first != idx+1 || s.j.size != 0 {
		j, err := s.newSegment(idx + 1)
		if err != nil {
			return err
		}
		old := s.j
		s.j = j
		_ = old.close()
	}
	s.sinceCkpt = 0
	segs, err := listSegments(s.cfg.Dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, seg := range segs {
		if seg.first <= idx {
			errs = append(errs, os.Remove(seg.path))
		}
	}
	errs = append(errs, syncDir(s.cfg.Dir))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove old journal segments: %w", err)
	}
	s.log.Info("catalog checkpoint written", "index", idx)
	return nil
}

func writeCheckpoint(path string, txn *memdb.Txn, idx uint64, at time.Time) (err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("create checkpoint: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close checkpoint: %w", cerr)
		}
	}()
	put := func(typ cmdType, body any) error {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode checkpoint %s: %w", typ, err)
		}
		raw, err := json.Marshal(&record{Index: idx, Type: typ, Version: ckptVersion, At: at, Payload: b})
		if err != nil {
			return fmt.Errorf("encode checkpoint %s: %w", typ, err)
		}
		if _, err := f.Write(frame(raw)); err != nil {
			return fmt.Errorf("write checkpoint: %w", err)
		}
		return nil
	}
	if err := put(ckptHeader, ckptHeaderBody{Index: idx}); err != nil {
		return err
	}
	objects := 0
	for _, t := range ckptTables {
		it, err := txn.Get(t.table, indexID)
		if err != nil {
			return fmt.Errorf("checkpoint %s: %w", t.table, err)
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if err := put(t.typ, raw); err != nil {
				return err
			}
			objects++
		}
	}
	if err := put(ckptEnd, ckptEndBody{Objects: objects}); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync checkpoint: %w", err)
	}
	return nil
}

// loadCheckpoint restores the checkpoint of dir, if any, in one transaction and returns its
// index. A checkpoint is installed by rename, so any damage in it is ErrCorrupt.
func loadCheckpoint(db *memdb.MemDB, dir string) (uint64, error) {
	_ = os.Remove(filepath.Join(dir, checkpointTmp)) // left by a crash mid-write
	path := filepath.Join(dir, checkpointName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read checkpoint: %w", err)
	}
	inserts := map[cmdType]func(*memdb.Txn, json.RawMessage) error{}
	for _, t := range ckptTables {
		inserts[t.typ] = t.insert
	}
	txn := db.Txn(true)
	defer txn.Abort()
	var (
		idx     uint64
		header  bool
		end     bool
		objects int
	)
	scan, err := scanFrames(path, data, func(off int64, n int, payload []byte) error {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s: record %d at offset %d: %s: %w", path, n, off, fmt.Sprintf(format, args...), ErrCorrupt)
		}
		var rec record
		if err := json.Unmarshal(payload, &rec); err != nil {
			return bad("%v", err)
		}
		if rec.Version != ckptVersion {
			return bad("version %d is not supported", rec.Version)
		}
		switch {
		case end:
			return bad("data after the end record")
		case !header:
			var h ckptHeaderBody
			if rec.Type != ckptHeader || json.Unmarshal(rec.Payload, &h) != nil {
				return bad("missing header")
			}
			header, idx = true, h.Index
		case rec.Type == ckptEnd:
			var e ckptEndBody
			if err := json.Unmarshal(rec.Payload, &e); err != nil || e.Objects != objects {
				return bad("end record counts %d objects, read %d", e.Objects, objects)
			}
			end = true
		default:
			ins, ok := inserts[rec.Type]
			if !ok {
				return bad("unknown record type %q", rec.Type)
			}
			if err := ins(txn, rec.Payload); err != nil {
				return bad("%s: %v", rec.Type, err)
			}
			objects++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if scan.torn || !end {
		return 0, fmt.Errorf("%s: incomplete at offset %d: %w", path, scan.good, ErrCorrupt)
	}
	if err := setIndex(txn, idx); err != nil {
		return 0, err
	}
	txn.Commit()
	return idx, nil
}
