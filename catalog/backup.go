package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-memdb"
)

// A backup of the catalogue is a checkpoint of one View written somewhere else than the
// catalogue directory, in the format of the checkpoint files (framed records with their CRCs, a
// header with the index, an end record counting the objects), with its size and SHA-256 beside
// it. Taking one costs a memdb snapshot and the encoding: the service keeps serving and
// writing meanwhile. Restoring one installs it as the checkpoint of an empty directory, which
// Open then loads as after any restart.

// ErrNotEmpty: a restore was pointed at a directory that already holds something.
var ErrNotEmpty = errors.New("directory not empty")

// CheckpointInfo describes a checkpoint written for a backup.
type CheckpointInfo struct {
	Index  uint64 `json:"index"`  // journal index of the last command it holds
	Size   int64  `json:"size"`   // bytes
	SHA256 string `json:"sha256"` // hex digest of the bytes
}

// WriteCheckpoint writes the state of the view to w as a checkpoint whose records are stamped
// at, and describes what it wrote.
func (v *View) WriteCheckpoint(w io.Writer, at time.Time) (CheckpointInfo, error) {
	h := sha256.New()
	idx := v.Index()
	size, err := encodeCheckpoint(io.MultiWriter(w, h), v.txn, idx, at.UTC())
	if err != nil {
		return CheckpointInfo{}, err
	}
	return CheckpointInfo{Index: idx, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Spool is a checkpoint of one View kept in a temporary file, so that a backup reads it at its
// own pace (a slow network, a slow bucket) while the catalogue moves on, and knows its size and
// digest before sending it. The file has no name: it is removed as soon as it is created, so that
// nothing is left behind by a process killed mid-backup.
type Spool struct {
	View *View // the state the checkpoint holds; whatever else the backup lists comes from it
	Info CheckpointInfo
	f    *os.File
}

// SpoolCheckpoint writes a checkpoint of the durable state to a spool in the catalogue
// directory (the data disk, not a small /tmp).
func (s *Store) SpoolCheckpoint(ctx context.Context) (*Spool, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.cfg.Dir, "backup-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("spool checkpoint: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool checkpoint: %w", err)
	}
	v := s.View()
	info, err := v.WriteCheckpoint(f, s.cfg.Clock())
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Spool{View: v, Info: info, f: f}, nil
}

// Reader returns a reader of the whole checkpoint; each call starts at its beginning.
func (sp *Spool) Reader() io.Reader { return io.NewSectionReader(sp.f, 0, sp.Info.Size) }

// Close releases the spool's file (and with it its space).
func (sp *Spool) Close() error { return sp.f.Close() }

// restoreStage is the folder of a restore's directory where the checkpoint is written and checked
// before it is renamed into place.
const restoreStage = "restore.tmp"

// RestoreCheckpoint makes dir, which must be absent or empty (ErrNotEmpty), the catalogue
// directory of the checkpoint read from r. The checkpoint is written to a folder of its own and
// checked whole before it is renamed into place: its size and SHA-256 against want, every frame's
// CRC, every object decoded and inserted into a state of its own, the end record's count, and its
// index against want; any difference is ErrCorrupt and leaves no checkpoint. dir is locked
// meanwhile, so that no Open races the restore.
func RestoreCheckpoint(ctx context.Context, dir string, r io.Reader, want CheckpointInfo) (err error) {
	if err := checkEmptyDir(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create catalog dir %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return err
	}
	stage := filepath.Join(dir, restoreStage)
	defer func() {
		if rerr := os.RemoveAll(stage); err == nil && rerr != nil {
			err = fmt.Errorf("remove %s: %w", stage, rerr)
		}
		_ = lock.Close()
		if err != nil {
			// A failed restore leaves the directory as empty as it found it, ready for another.
			_ = os.Remove(filepath.Join(dir, lockName))
		}
	}()
	if err := os.Mkdir(stage, 0o750); err != nil {
		return fmt.Errorf("restore checkpoint: %w", err)
	}
	staged := filepath.Join(stage, checkpointName)
	if err := copyChecked(staged, r, want); err != nil {
		return err
	}
	db, err := memdb.NewMemDB(dbSchema())
	if err != nil {
		return fmt.Errorf("create state: %w", err)
	}
	got, err := loadCheckpoint(ctx, db, stage)
	if err != nil {
		return err
	}
	if got.index != want.Index {
		return fmt.Errorf("checkpoint holds index %d, the backup says %d: %w", got.index, want.Index, ErrCorrupt)
	}
	if err := os.Rename(staged, filepath.Join(dir, checkpointName)); err != nil {
		return fmt.Errorf("install checkpoint: %w", err)
	}
	return syncDir(dir)
}

// copyChecked writes r to path, fsyncs it and compares its size and digest with want.
func copyChecked(path string, r io.Reader, want CheckpointInfo) (err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("restore checkpoint: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("restore checkpoint: %w", cerr)
		}
	}()
	h := sha256.New()
	// One byte more than expected is enough to tell a longer checkpoint.
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, want.Size+1))
	if err != nil {
		return fmt.Errorf("restore checkpoint: read: %w", err)
	}
	if n > want.Size {
		return fmt.Errorf("checkpoint is longer than the %d bytes the backup says: %w", want.Size, ErrCorrupt)
	}
	if n < want.Size {
		return fmt.Errorf("checkpoint has %d bytes, the backup says %d: %w", n, want.Size, ErrCorrupt)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != want.SHA256 {
		return fmt.Errorf("checkpoint SHA-256 %s differs from the backup's %s: %w", sum, want.SHA256, ErrCorrupt)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("restore checkpoint: %w", err)
	}
	return nil
}

// checkEmptyDir reports ErrNotEmpty when dir exists and holds anything.
func checkEmptyDir(dir string) error {
	names, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	if len(names) > 0 {
		return fmt.Errorf("%s holds %s: %w", dir, names[0].Name(), ErrNotEmpty)
	}
	return nil
}
