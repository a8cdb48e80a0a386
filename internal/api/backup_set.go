package api

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// A backup set is what `ecolake backup` writes to a folder or an S3 prefix and `ecolake
// restore` reads back: the catalogue checkpoint of one view, the list of every lake object that
// view references, optionally copies of those objects, and last the set's description, which
// holds the size and digest of the other files. A set without its description is incomplete (a
// backup that was killed or failed); restore refuses it. The door GET /api/v1/admin/backup
// streams a set as a tar archive of these files in that order, description last, so that a cut
// stream is never taken for a whole one.

// BackupFormat is the version of the set's layout.
const BackupFormat = 1

// The files of a set.
const (
	BackupMetaName       = "backup.json"        // BackupMeta: written last, the mark of a complete set
	BackupCheckpointName = "catalog.checkpoint" // the catalogue checkpoint
	BackupObjectListName = "objects.json"       // []BackupObject
	BackupObjectsPrefix  = "objects/"           // copies of the lake objects, under their keys
)

// BackupMeta describes a set.
type BackupMeta struct {
	Format     int                    `json:"format"`
	CreatedAt  time.Time              `json:"created_at"`
	Lake       string                 `json:"lake"` // the lake the objects were listed in
	Checkpoint catalog.CheckpointInfo `json:"checkpoint"`
	ObjectList FileSum                `json:"object_list"`
	Objects    int                    `json:"objects"`      // objects listed
	Bytes      int64                  `json:"object_bytes"` // their total size
	// WithObjects: the set holds a copy of every listed object.
	WithObjects bool `json:"with_objects"`
}

// FileSum is the size and SHA-256 (hex) of a file of the set.
type FileSum struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// BackupObject is one lake object the catalogue references. SHA256 is known for data files (their
// manifest records it) and for every object the set holds a copy of; otherwise "".
type BackupObject struct {
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
}

// Check reports what is wrong with a set's description, in Chinese.
func (m *BackupMeta) Check() error {
	switch {
	case m.Format != BackupFormat:
		return fmt.Errorf("备份格式版本 %d 不受支持 (本程序读取版本 %d)", m.Format, BackupFormat)
	case m.Checkpoint.Size <= 0 || len(m.Checkpoint.SHA256) != 64:
		return errors.New("备份说明中缺少目录库检查点的大小或校验和")
	case m.ObjectList.Size <= 0 || len(m.ObjectList.SHA256) != 64:
		return errors.New("备份说明中缺少对象清单的大小或校验和")
	case m.Objects < 0 || m.Bytes < 0:
		return errors.New("备份说明中的对象数或字节数为负数")
	}
	return nil
}

// BackupObjects lists, sorted by key, every lake object v references: each snapshot's manifest
// and data files, and each run's rejected-rows file (what gc keeps). Every object is looked up in
// b; one that is missing, or whose size differs from its manifest's record, fails the listing
// with a Chinese message naming it, for a backup of a lake that lost what its catalogue needs
// would restore into a service that cannot answer.
func BackupObjects(ctx context.Context, v *catalog.View, b lake.BucketReader) ([]BackupObject, error) {
	objs := map[string]BackupObject{}
	// stat records key once with its stored size; want is the size a manifest records, -1 for
	// none.
	stat := func(key string, want int64, sum, owner string) error {
		if _, ok := objs[key]; ok {
			return nil
		}
		attrs, err := b.Attributes(ctx, key)
		if errors.Is(err, lake.ErrNotFound) {
			return schemas.Userf(nil, "备份失败: 数据湖中缺少%s引用的对象 %s", owner, key)
		}
		if err != nil {
			return fmt.Errorf("backup: %s: %w", key, err)
		}
		if want >= 0 && attrs.Size != want {
			return schemas.Userf(nil, "备份失败: 数据湖对象 %s 有 %d 字节, 而%s记录的是 %d 字节", key, attrs.Size, owner, want)
		}
		objs[key] = BackupObject{Key: key, Size: attrs.Size, SHA256: sum}
		return nil
	}
	var err error
	v.EachEntry("", func(e *catalog.Entry) bool {
		for _, s := range v.Snapshots(e.ResourceCode) {
			owner := fmt.Sprintf("目录 %s 的快照 %s ", e.ResourceCode, s.ID)
			if err = stat(s.ManifestKey, -1, "", owner); err != nil {
				return false
			}
			var m *lake.Manifest
			if m, err = lake.ReadManifest(ctx, b, s.ManifestKey); err != nil {
				err = fmt.Errorf("backup: snapshot %s of %s: %w", s.ID, e.ResourceCode, err)
				return false
			}
			for _, f := range m.Files {
				if err = stat(f.Key, f.Bytes, f.SHA256, owner); err != nil {
					return false
				}
			}
		}
		for _, r := range v.Runs(e.ResourceCode) {
			if r.RejectedKey == "" {
				continue
			}
			if err = stat(r.RejectedKey, -1, "", fmt.Sprintf("目录 %s 的归集任务 %s ", e.ResourceCode, r.ID)); err != nil {
				return false
			}
		}
		return ctx.Err() == nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	out := make([]BackupObject, 0, len(objs))
	for _, o := range objs {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
