package api

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// Backup is one backup set on its way out: a spooled checkpoint of the catalogue, the lake
// objects the same view references, and whether copies of them go along.
type Backup struct {
	spool   *catalog.Spool
	objects []BackupObject
	bucket  lake.BucketReader
	meta    BackupMeta
}

// PrepareBackup spools a checkpoint of cat's durable state and lists the lake objects of the same
// view in b (BackupObjects). The catalogue goes on serving and changing meanwhile.
func PrepareBackup(ctx context.Context, cat *catalog.Store, b lake.BucketReader, withObjects bool, now time.Time) (*Backup, error) {
	spool, err := cat.SpoolCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	objs, err := BackupObjects(ctx, spool.View, b)
	if err != nil {
		spool.Close()
		return nil, err
	}
	bk := &Backup{spool: spool, objects: objs, bucket: b, meta: BackupMeta{
		Format: BackupFormat, CreatedAt: now.UTC(), Checkpoint: spool.Info, Objects: len(objs), WithObjects: withObjects,
	}}
	if n, ok := b.(interface{ Name() string }); ok {
		bk.meta.Lake = n.Name()
	}
	for _, o := range objs {
		bk.meta.Bytes += o.Size
	}
	return bk, nil
}

// Index is the catalogue index the backup holds.
func (bk *Backup) Index() uint64 { return bk.meta.Checkpoint.Index }

// Close releases the spooled checkpoint.
func (bk *Backup) Close() error { return bk.spool.Close() }

// WriteTar writes the set to w as a tar archive: the checkpoint, the object copies when asked
// for (each checked against the digest its manifest records), the object list and, last, the
// description. It returns the description written. An error leaves w without the description:
// whoever reads it can tell it is incomplete.
func (bk *Backup) WriteTar(ctx context.Context, w io.Writer) (BackupMeta, error) {
	tw := tar.NewWriter(w)
	meta := bk.meta
	put := func(name string, size int64, r io.Reader) (string, error) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o640, Size: size, ModTime: meta.CreatedAt, Typeflag: tar.TypeReg}); err != nil {
			return "", fmt.Errorf("backup %s: %w", name, err)
		}
		h := sha256.New()
		n, err := io.Copy(tw, io.TeeReader(lake.ContextReader(ctx, r), h))
		if err != nil {
			return "", fmt.Errorf("backup %s: %w", name, err)
		}
		if n != size {
			return "", fmt.Errorf("backup %s: %d bytes, want %d", name, n, size)
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	sum, err := put(BackupCheckpointName, meta.Checkpoint.Size, bk.spool.Reader())
	if err != nil {
		return meta, err
	}
	if sum != meta.Checkpoint.SHA256 {
		return meta, fmt.Errorf("backup: spooled checkpoint changed on disk (SHA-256 %s, written %s)", sum, meta.Checkpoint.SHA256)
	}
	objs := bk.objects
	if meta.WithObjects {
		objs = make([]BackupObject, len(bk.objects))
		for i, o := range bk.objects {
			if objs[i], err = bk.copyObject(ctx, o, put); err != nil {
				return meta, err
			}
		}
	}
	list, err := json.Marshal(objs)
	if err != nil {
		return meta, fmt.Errorf("backup: object list: %w", err)
	}
	if meta.ObjectList.SHA256, err = put(BackupObjectListName, int64(len(list)), bytes.NewReader(list)); err != nil {
		return meta, err
	}
	meta.ObjectList.Size = int64(len(list))
	desc, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return meta, fmt.Errorf("backup: description: %w", err)
	}
	if _, err := put(BackupMetaName, int64(len(desc)), bytes.NewReader(desc)); err != nil {
		return meta, err
	}
	if err := tw.Close(); err != nil {
		return meta, fmt.Errorf("backup: %w", err)
	}
	return meta, nil
}

// copyObject writes the copy of one lake object and returns it with its digest. A data file
// whose bytes differ from its manifest's digest is corrupt in the lake: the backup stops there
// rather than keep a corrupt copy.
func (bk *Backup) copyObject(ctx context.Context, o BackupObject, put func(string, int64, io.Reader) (string, error)) (BackupObject, error) {
	rc, err := bk.bucket.Get(ctx, o.Key)
	if err != nil {
		return o, fmt.Errorf("backup: read %s: %w", o.Key, err)
	}
	defer rc.Close()
	sum, err := put(BackupObjectsPrefix+o.Key, o.Size, rc)
	if err != nil {
		return o, err
	}
	if o.SHA256 != "" && sum != o.SHA256 {
		return o, schemas.Userf(nil, "备份失败: 数据湖对象 %s 已损坏 (SHA-256 %s, 清单记录为 %s)", o.Key, sum, o.SHA256)
	}
	o.SHA256 = sum
	return o, nil
}

// backupBusy admits one backup at a time: each reads the whole lake when it copies objects.
var backupBusy atomic.Bool

// handleBackup streams a backup set as a tar archive (GET /api/v1/admin/backup[?objects=true]) to
// an administrator cleared for core data (catalog.MayBackup). The caller chooses nothing on the
// server's side but whether object copies go along; where the set is written is the client's.
func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	if !catalog.MayBackup(p) {
		WriteError(w, s.Log, schemas.Userf(schemas.ErrForbidden, "无权操作: 只有密级上限为核心数据的系统管理员可以备份"))
		return
	}
	withObjects := false
	for name, vals := range r.URL.Query() {
		var err error
		if name != "objects" || len(vals) != 1 {
			err = fmt.Errorf("未知的参数 %s", schemas.Clip(name, 64))
		} else if withObjects, err = strconv.ParseBool(vals[0]); err != nil {
			err = fmt.Errorf("参数 objects 应为 true 或 false, 而不是 %q", schemas.Clip(vals[0], 64))
		}
		if err != nil {
			WriteError(w, s.Log, schemas.Userf(schemas.ErrInvalid, "%s", err.Error()))
			return
		}
	}
	if !backupBusy.CompareAndSwap(false, true) {
		WriteError(w, s.Log, schemas.Userf(schemas.ErrBusy, "已有一次备份正在进行, 请在它完成后再试"))
		return
	}
	defer backupBusy.Store(false)
	if s.HoldGC != nil {
		defer s.HoldGC()()
	}
	start := time.Now()
	bk, err := PrepareBackup(r.Context(), s.Cat, s.Bucket, withObjects, start)
	if err != nil {
		WriteError(w, s.Log, err)
		return
	}
	defer bk.Close()
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="ecolake-backup-%d.tar"`, bk.Index()))
	meta, err := bk.WriteTar(r.Context(), w)
	if err != nil {
		backupLog(s.Log).Error("backup cut short", "user", p.ID, "index", bk.Index(), "err", Detail(err))
		// The set's description was not sent; ending the response abruptly also tells a client
		// that does not read that far.
		panic(http.ErrAbortHandler)
	}
	backupLog(s.Log).Info("backup sent", "user", p.ID, "index", meta.Checkpoint.Index, "objects", meta.Objects,
		"with_objects", meta.WithObjects, "bytes", meta.Bytes, "elapsed", time.Since(start))
}

func backupLog(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
