package catalog

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-memdb"
)

// A checkpoint is the whole state at one index, so that start-up reads it and replays only the
// journal after it. Writing one costs the size of the state, so it is written only once the
// journal since the last one has grown to that size (and at least Config.CheckpointMinBytes):
// the bytes of all checkpoints then stay within the bytes of the journal plus one checkpoint,
// however large the directory grows. It is written in the background from a memdb snapshot of
// the durable state, to a temp file that is fsynced and renamed over the old one (and the
// directory fsynced); only then are the journal segments it covers removed.

const (
	checkpointName = "checkpoint"
	checkpointTmp  = "checkpoint.tmp"

	// ckptVersion 2 stores objects in chunks of gob (checkpoint_codec.go: an entry decodes about
	// ten times faster than from JSON); version 1, one JSON record per object, is still read.
	ckptVersion   = 2
	ckptVersionV1 = 1
	// ckptChunk is the number of objects per chunk: each chunk is decoded on its own, in
	// parallel, and carries its own gob type description.
	ckptChunk = 256
)

// Checkpoint record types: a header with the last index, the objects of each table, and an end
// record with the object count so that a short file can never pass for a complete one.
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
	ckptChange     cmdType = "change"
	ckptHistory    cmdType = "history"
	ckptGrading    cmdType = "grading"
)

type ckptHeaderBody struct {
	Index uint64 `json:"index"`
}

type ckptEndBody struct {
	Objects int `json:"objects"`
}

func segmentPath(dir string, first uint64) string { return filepath.Join(dir, segmentName(first)) }

// checkpointDue reports whether the batch being sealed should end with a checkpoint. Callers
// hold s.mu.
func (s *Store) checkpointDue() bool {
	if s.ckptDone != nil || s.sinceCkpt == 0 {
		return false
	}
	if s.cfg.CheckpointEvery > 0 && s.sinceCkpt >= s.cfg.CheckpointEvery {
		return true
	}
	return s.sinceBytes >= max(s.cfg.CheckpointMinBytes, s.lastCkpt)
}

// checkpointAsync writes a checkpoint of db, the durable state at idx, in the background. The
// journal was rotated at idx+1 and synced up to idx, so the segments before the current one hold
// nothing after idx. Callers hold s.mu.
func (s *Store) checkpointAsync(db *memdb.MemDB, idx uint64) {
	done := make(chan struct{})
	s.ckptDone = done
	go func() {
		defer close(done)
		size, err := s.installCheckpoint(db.Txn(false), idx, false)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.ckptDone = nil
		if size > 0 {
			s.lastCkpt, s.ckptIndex = size, idx
		}
		if err != nil {
			// Every command is durable in the journal; a failed checkpoint only delays compaction.
			s.log.Error("catalog checkpoint failed", "index", idx, "err", err)
		}
	}()
}

// waitCheckpointLocked waits for a background checkpoint to end. Callers hold s.mu; it is
// released while waiting.
func (s *Store) waitCheckpointLocked() {
	for s.ckptDone != nil {
		done := s.ckptDone
		s.mu.Unlock()
		<-done
		s.mu.Lock()
	}
}

// checkpointFinalLocked writes the checkpoint of Close: nothing is written any more, so it covers
// every segment. Callers hold s.mu, the journal is closed.
func (s *Store) checkpointFinalLocked() error {
	idx := s.Index()
	size, err := s.installCheckpoint(s.durable.Load().Txn(false), idx, true)
	if size > 0 {
		s.lastCkpt, s.ckptIndex = size, idx
		s.sinceCkpt, s.sinceBytes = 0, 0
	}
	return err
}

// installCheckpoint writes the checkpoint of txn at idx to a temp file, fsyncs it, renames it
// over the checkpoint, fsyncs the directory and only then removes the segments it covers: a
// segment is covered when the next one starts at or before idx+1, or when all is set. A crash at
// any step leaves a checkpoint plus a journal that together hold every command. The size is
// returned once the checkpoint is installed, even if removing segments then failed.
func (s *Store) installCheckpoint(txn *memdb.Txn, idx uint64, all bool) (int64, error) {
	tmp := filepath.Join(s.cfg.Dir, checkpointTmp)
	size, err := writeCheckpoint(tmp, txn, idx, s.cfg.Clock().UTC())
	if err != nil {
		_ = os.Remove(tmp)
		return 0, err
	}
	if err := os.Rename(tmp, filepath.Join(s.cfg.Dir, checkpointName)); err != nil {
		return 0, fmt.Errorf("install checkpoint: %w", err)
	}
	if err := syncDir(s.cfg.Dir); err != nil {
		return 0, err
	}
	s.statsMu.Lock()
	s.stats.Checkpoints++
	s.stats.CheckpointBytes += size
	s.statsMu.Unlock()
	segs, err := listSegments(s.cfg.Dir)
	if err != nil {
		return size, err
	}
	var errs []error
	for i, seg := range segs {
		if all || (i+1 < len(segs) && segs[i+1].first <= idx+1) {
			errs = append(errs, os.Remove(seg.path))
		}
	}
	errs = append(errs, syncDir(s.cfg.Dir))
	if err := errors.Join(errs...); err != nil {
		return size, fmt.Errorf("remove old journal segments: %w", err)
	}
	s.log.Info("catalog checkpoint written", "index", idx, "bytes", size)
	return size, nil
}

// writeCheckpoint writes the state of txn at idx to path and fsyncs it; it returns its size.
func writeCheckpoint(path string, txn *memdb.Txn, idx uint64, at time.Time) (size int64, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return 0, fmt.Errorf("create checkpoint: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close checkpoint: %w", cerr)
		}
	}()
	if size, err = encodeCheckpoint(f, txn, idx, at); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("sync checkpoint: %w", err)
	}
	return size, nil
}

// encodeCheckpoint writes the state of txn at idx to dst and returns its size. Every table of
// ckptTables is written in chunks of ckptChunk objects, each a frame of its own (encodeChunk).
func encodeCheckpoint(dst io.Writer, txn *memdb.Txn, idx uint64, at time.Time) (size int64, err error) {
	w := bufio.NewWriterSize(dst, 1<<20)
	var head [frameHeader]byte
	put := func(payload []byte) error {
		binary.LittleEndian.PutUint32(head[0:4], uint32(len(payload)))
		binary.LittleEndian.PutUint32(head[4:8], crc32.Checksum(payload, castagnoli))
		if _, err := w.Write(head[:]); err != nil {
			return fmt.Errorf("write checkpoint: %w", err)
		}
		if _, err := w.Write(payload); err != nil {
			return fmt.Errorf("write checkpoint: %w", err)
		}
		size += int64(frameHeader + len(payload))
		return nil
	}
	putRecord := func(typ cmdType, body any) error {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode checkpoint %s: %w", typ, err)
		}
		raw, err := json.Marshal(&record{Index: idx, Type: typ, Version: ckptVersion, At: at, Payload: b})
		if err != nil {
			return fmt.Errorf("encode checkpoint %s: %w", typ, err)
		}
		return put(raw)
	}
	if err := putRecord(ckptHeader, ckptHeaderBody{Index: idx}); err != nil {
		return 0, err
	}
	objects := 0
	objs := make([]any, 0, ckptChunk)
	var buf bytes.Buffer // one chunk's encoding, reused: the frame is written before the next
	flush := func(t ckptTable) error {
		if len(objs) == 0 {
			return nil
		}
		buf.Reset()
		payload, err := encodeChunk(&buf, t.typ, t.codec, objs)
		if err != nil {
			return err
		}
		objects += len(objs)
		objs = objs[:0]
		return put(payload)
	}
	for _, t := range ckptTables {
		it, err := txn.Get(t.table, indexID)
		if err != nil {
			return 0, fmt.Errorf("checkpoint %s: %w", t.table, err)
		}
		for obj := it.Next(); obj != nil; obj = it.Next() {
			if t.rows == nil {
				objs = append(objs, obj)
			} else {
				objs = append(objs, t.rows(obj)...)
			}
			if len(objs) >= ckptChunk {
				if err := flush(t); err != nil {
					return 0, err
				}
			}
		}
		if err := flush(t); err != nil {
			return 0, err
		}
	}
	if err := putRecord(ckptEnd, ckptEndBody{Objects: objects}); err != nil {
		return 0, err
	}
	if err := w.Flush(); err != nil {
		return 0, fmt.Errorf("write checkpoint: %w", err)
	}
	return size, nil
}
