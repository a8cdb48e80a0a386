package app

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/lake"
)

// Bounds of the small files of a set, read whole into memory.
const (
	maxSetMeta       = 1 << 20
	maxSetObjectList = 1 << 30
)

// receiveSet writes the set streamed in r (api.Backup.WriteTar) to dest file by file, checking
// each against the description that closes the stream, and writes the description last, once
// everything before it matched. The stream must end right after it.
func receiveSet(ctx context.Context, r io.Reader, dest lake.Bucket) (api.BackupMeta, error) {
	tr := tar.NewReader(r)
	got := map[string]api.FileSum{}
	var list []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return api.BackupMeta{}, fmt.Errorf("备份流在说明文件 %s 之前就结束了 (服务端中断?)", api.BackupMetaName)
		}
		if err != nil {
			return api.BackupMeta{}, fmt.Errorf("备份流中断: %v", err)
		}
		name := h.Name
		if _, dup := got[name]; dup {
			return api.BackupMeta{}, fmt.Errorf("备份流中 %s 出现了两次", name)
		}
		switch {
		case name == api.BackupMetaName:
			return finishSet(ctx, tr, h.Size, got, list, dest)
		case name == api.BackupObjectListName:
			if h.Size > maxSetObjectList {
				return api.BackupMeta{}, fmt.Errorf("对象清单过大 (%d 字节)", h.Size)
			}
			if list, err = io.ReadAll(tr); err != nil {
				return api.BackupMeta{}, fmt.Errorf("备份流中断: %v", err)
			}
			got[name], err = uploadSum(ctx, dest, name, bytes.NewReader(list), int64(len(list)))
		case name == api.BackupCheckpointName:
			got[name], err = uploadSum(ctx, dest, name, tr, h.Size)
		case strings.HasPrefix(name, api.BackupObjectsPrefix) && lake.CheckKey(strings.TrimPrefix(name, api.BackupObjectsPrefix)) == nil:
			got[name], err = uploadSum(ctx, dest, name, tr, h.Size)
		default:
			return api.BackupMeta{}, fmt.Errorf("备份流中有不认识的文件 %q", name)
		}
		if err != nil {
			return api.BackupMeta{}, err
		}
	}
}

// finishSet reads the description, checks the files received against it and writes it.
func finishSet(ctx context.Context, tr *tar.Reader, size int64, got map[string]api.FileSum, list []byte, dest lake.Bucket) (api.BackupMeta, error) {
	var meta api.BackupMeta
	if size > maxSetMeta {
		return meta, fmt.Errorf("说明文件过大 (%d 字节)", size)
	}
	raw, err := io.ReadAll(tr)
	if err != nil {
		return meta, fmt.Errorf("备份流中断: %v", err)
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return meta, fmt.Errorf("说明文件无法解析: %v", err)
	}
	if err := meta.Check(); err != nil {
		return meta, err
	}
	if got[api.BackupCheckpointName] != (api.FileSum{Size: meta.Checkpoint.Size, SHA256: meta.Checkpoint.SHA256}) {
		return meta, errors.New("收到的目录库检查点与说明不符 (大小或校验和不同)")
	}
	if got[api.BackupObjectListName] != meta.ObjectList {
		return meta, errors.New("收到的对象清单与说明不符 (大小或校验和不同)")
	}
	objs, err := decodeObjectList(list, meta)
	if err != nil {
		return meta, err
	}
	copies := len(got) - 2
	if meta.WithObjects {
		for _, o := range objs {
			if got[api.BackupObjectsPrefix+o.Key] != (api.FileSum{Size: o.Size, SHA256: o.SHA256}) {
				return meta, fmt.Errorf("对象 %s 的副本缺失或与清单不符", o.Key)
			}
		}
		copies -= len(objs)
	}
	if copies != 0 {
		return meta, fmt.Errorf("备份流中有 %d 个清单之外的对象副本", copies)
	}
	if _, err := tr.Next(); !errors.Is(err, io.EOF) {
		return meta, errors.New("说明文件之后还有数据")
	}
	if err := dest.Upload(ctx, api.BackupMetaName, bytes.NewReader(raw), int64(len(raw))); err != nil {
		return meta, fmt.Errorf("写入 %s: %v", api.BackupMetaName, err)
	}
	return meta, nil
}

// decodeObjectList reads the object list of a set and checks it against its description.
func decodeObjectList(list []byte, meta api.BackupMeta) ([]api.BackupObject, error) {
	dec := json.NewDecoder(bytes.NewReader(list))
	dec.DisallowUnknownFields()
	var objs []api.BackupObject
	if err := dec.Decode(&objs); err != nil {
		return nil, fmt.Errorf("对象清单无法解析: %v", err)
	}
	var total int64
	for _, o := range objs {
		if err := lake.CheckKey(o.Key); err != nil || o.Size < 0 {
			return nil, fmt.Errorf("对象清单中有无效的对象 %q", o.Key)
		}
		if meta.WithObjects && len(o.SHA256) != 64 {
			return nil, fmt.Errorf("对象清单中 %s 没有校验和", o.Key)
		}
		total += o.Size
	}
	if len(objs) != meta.Objects || total != meta.Bytes {
		return nil, fmt.Errorf("对象清单有 %d 个对象 (%d 字节), 说明中为 %d 个 (%d 字节)", len(objs), total, meta.Objects, meta.Bytes)
	}
	return objs, nil
}

// uploadSum uploads r (size bytes) to b under key and returns its size and digest.
func uploadSum(ctx context.Context, b lake.Bucket, key string, r io.Reader, size int64) (api.FileSum, error) {
	h := sha256.New()
	if err := b.Upload(ctx, key, io.TeeReader(r, h), size); err != nil {
		return api.FileSum{}, fmt.Errorf("写入 %s: %v", key, err)
	}
	return api.FileSum{Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
