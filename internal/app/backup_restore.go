package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/lake/s3"
	"github.com/cqeco/ecolake/schemas"
)

// RestoreArgs are the arguments of `ecolake restore`.
type RestoreArgs struct {
	From string // the set: a local folder or s3://bucket/prefix
}

// maxMissingShown bounds the missing objects a failed restore names (its message is bounded by
// schemas.MaxUserMessage).
const maxMissingShown = 8

// RunRestore rebuilds a data directory from a backup set. The target (cfg.DataDir) must be
// absent or empty; everything is built in a sibling folder named *.restoring-* and renamed into
// place at the end, so that an interrupted restore never leaves a directory that looks like a data
// directory. The set's description, object list and checkpoint are checked against each other;
// object copies, when the set has them, are written to the target lake (cfg.Lake: the new data
// directory's own lake folder, or S3) and checked; then every object the catalogue references must
// be in the target lake with its size; only then is the checkpoint installed.
func RunRestore(ctx context.Context, cfg Config, args RestoreArgs, out io.Writer, log *slog.Logger) int {
	if args.From == "" {
		fmt.Fprintln(out, "用法: ecolake restore --from <备份目录 或 s3://bucket/prefix> --data <新的数据目录> [--lake s3://…]")
		return ExitFailed
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(out, "错误: 配置无效: %v\n", err)
		return ExitFailed
	}
	if names, err := os.ReadDir(cfg.DataDir); err == nil && len(names) > 0 {
		fmt.Fprintf(out, "错误: 目标数据目录 %s 不为空 (已有 %s); 恢复只写入不存在或空的目录\n", cfg.DataDir, names[0].Name())
		return ExitFailed
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(out, "错误: 无法读取目标数据目录 %s: %v\n", cfg.DataDir, err)
		return ExitFailed
	}
	set, err := openSetBucket(ctx, cfg, args.From, false)
	if err != nil {
		fmt.Fprintf(out, "错误: 备份 %s: %s\n", args.From, err)
		return ExitFailed
	}
	defer set.Close()
	meta, objs, err := readSetIndex(ctx, set)
	if err != nil {
		fmt.Fprintf(out, "错误: %s 不能用于恢复: %s\n", args.From, err)
		return ExitFailed
	}
	abs, err := filepath.Abs(cfg.DataDir)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(abs), 0o755)
	}
	var stage string
	if err == nil {
		stage, err = os.MkdirTemp(filepath.Dir(abs), filepath.Base(abs)+".restoring-")
	}
	if err != nil {
		fmt.Fprintf(out, "错误: 无法在 %s 旁建立恢复用的临时目录: %v\n", cfg.DataDir, err)
		return ExitFailed
	}
	if err := restoreInto(ctx, cfg, set, meta, objs, stage, out); err != nil {
		_ = os.RemoveAll(stage)
		log.Error("restore", "from", args.From, "err", api.Detail(err))
		fmt.Fprintf(out, "错误: 恢复失败, 未写入 %s: %s\n", cfg.DataDir, api.Message(err))
		return ExitFailed
	}
	if err := os.Rename(stage, abs); err != nil {
		fmt.Fprintf(out, "错误: 恢复已完成于 %s, 但无法改名为 %s: %v\n", stage, cfg.DataDir, err)
		return ExitFailed
	}
	if err := syncFolder(filepath.Dir(abs)); err != nil {
		log.Warn("restore: sync parent folder", "dir", filepath.Dir(abs), "err", err)
	}
	return reportRestored(ctx, cfg, meta, out, log)
}

// readSetIndex reads a set's description and object list and checks them against each other.
func readSetIndex(ctx context.Context, set lake.Bucket) (api.BackupMeta, []api.BackupObject, error) {
	var meta api.BackupMeta
	raw, err := readSetFile(ctx, set, api.BackupMetaName, -1, maxSetMeta)
	if errors.Is(err, lake.ErrNotFound) {
		return meta, nil, fmt.Errorf("这不是完整的备份: 缺少说明文件 %s (备份可能在完成前中断)", api.BackupMetaName)
	}
	if err != nil {
		return meta, nil, err
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return meta, nil, fmt.Errorf("说明文件 %s 无法解析: %v", api.BackupMetaName, err)
	}
	if err := meta.Check(); err != nil {
		return meta, nil, err
	}
	list, err := readSetFile(ctx, set, api.BackupObjectListName, meta.ObjectList.Size, maxSetObjectList)
	if err != nil {
		return meta, nil, err
	}
	if sum := sha256.Sum256(list); hex.EncodeToString(sum[:]) != meta.ObjectList.SHA256 {
		return meta, nil, fmt.Errorf("对象清单 %s 已损坏 (校验和与说明不符)", api.BackupObjectListName)
	}
	objs, err := decodeObjectList(list, meta)
	return meta, objs, err
}

// readSetFile reads a small file of a set whole; size, when not -1, is what it must have.
func readSetFile(ctx context.Context, set lake.Bucket, name string, size, limit int64) ([]byte, error) {
	rc, err := set.Get(ctx, name)
	if errors.Is(err, lake.ErrNotFound) {
		return nil, fmt.Errorf("备份缺少 %s: %w", name, lake.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("无法读取 %s: %v", name, err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("无法读取 %s: %v", name, err)
	}
	if int64(len(raw)) > limit || size >= 0 && int64(len(raw)) != size {
		return nil, fmt.Errorf("%s 有 %d 字节, 说明中为 %d 字节: 备份已损坏", name, len(raw), size)
	}
	return raw, nil
}

// restoreInto builds the data directory in stage: object copies into the target lake, the check
// that the target lake holds every object, and last the catalogue.
func restoreInto(ctx context.Context, cfg Config, set lake.Bucket, meta api.BackupMeta, objs []api.BackupObject, stage string, out io.Writer) error {
	target, err := openTargetLake(ctx, cfg, stage)
	if err != nil {
		return err
	}
	defer target.Close()
	if meta.WithObjects {
		for i, o := range objs {
			if err := copyFromSet(ctx, set, target, o); err != nil {
				return err
			}
			if (i+1)%1000 == 0 {
				fmt.Fprintf(out, "已复制对象 %d / %d\n", i+1, len(objs))
			}
		}
	}
	if err := checkTargetLake(ctx, target, meta, objs); err != nil {
		return err
	}
	rc, err := set.Get(ctx, api.BackupCheckpointName)
	if errors.Is(err, lake.ErrNotFound) {
		return userErr("备份缺少目录库检查点 %s", api.BackupCheckpointName)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", api.BackupCheckpointName, err)
	}
	defer rc.Close()
	err = catalog.RestoreCheckpoint(ctx, filepath.Join(stage, "catalog"), rc, meta.Checkpoint)
	if errors.Is(err, catalog.ErrCorrupt) {
		return userErrWrap(err, "备份中的目录库检查点已损坏或不完整 (%v)", err)
	}
	return err
}

// openTargetLake opens the lake the restored directory will use: its own lake folder (in stage,
// renamed with it) or the S3 location of cfg.
func openTargetLake(ctx context.Context, cfg Config, stage string) (lake.Bucket, error) {
	if cfg.Lake == "" || cfg.Lake == "file" {
		return local.New(filepath.Join(stage, "lake"))
	}
	b, err := s3.New(ctx, cfg.S3)
	if err != nil {
		return nil, userErrWrap(err, "无法访问目标数据湖 %s: %v", cfg.Lake, err)
	}
	return b, nil
}

// copyFromSet copies one object from the set's copies to the target lake, checking its digest
// on the way.
func copyFromSet(ctx context.Context, set, target lake.Bucket, o api.BackupObject) error {
	rc, err := set.Get(ctx, api.BackupObjectsPrefix+o.Key)
	if errors.Is(err, lake.ErrNotFound) {
		return userErr("备份不完整: 缺少对象副本 %s%s", api.BackupObjectsPrefix, o.Key)
	}
	if err != nil {
		return fmt.Errorf("read copy of %s: %w", o.Key, err)
	}
	defer rc.Close()
	sum, err := uploadSum(ctx, target, o.Key, rc, o.Size)
	if errors.Is(err, lake.ErrSize) || err == nil && sum.SHA256 != o.SHA256 {
		return userErr("备份中对象 %s 的副本已损坏 (大小或校验和与清单不符)", o.Key)
	}
	return err
}

// checkTargetLake makes sure the target lake holds every object of the list with its size,
// naming the first of those it lacks. What to do about it comes before the names: a message
// is bounded, and the advice must survive the cut.
func checkTargetLake(ctx context.Context, target lake.Bucket, meta api.BackupMeta, objs []api.BackupObject) error {
	var bad []string
	for _, o := range objs {
		attrs, err := target.Attributes(ctx, o.Key)
		switch {
		case errors.Is(err, lake.ErrNotFound):
			bad = append(bad, o.Key+" (缺失)")
		case err != nil:
			return fmt.Errorf("check %s: %w", o.Key, err)
		case attrs.Size != o.Size:
			bad = append(bad, fmt.Sprintf("%s (%d 字节, 应为 %d)", o.Key, attrs.Size, o.Size))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	more := ""
	if len(bad) > maxMissingShown {
		more = fmt.Sprintf("\n  …… 另有 %d 个", len(bad)-maxMissingShown)
	}
	hint := ""
	switch {
	case meta.WithObjects:
	case strings.HasPrefix(meta.Lake, "s3://"):
		hint = fmt.Sprintf("; 该备份不含对象副本 (备份时未加 --with-objects): 请用 --lake %s 恢复到备份时的数据湖, 或改用带 --with-objects 的备份", meta.Lake)
	default:
		hint = fmt.Sprintf("; 该备份不含对象副本 (备份时未加 --with-objects), 而备份时的数据湖是本地目录 %s: 请用 --with-objects 重新备份后再恢复", meta.Lake)
	}
	return userErr("目标数据湖 %s 缺少备份引用的 %d 个对象%s\n  %s%s", target.Name(), len(bad), hint,
		strings.Join(bad[:min(len(bad), maxMissingShown)], "\n  "), more)
}

// reportRestored opens the restored catalogue once and says what it holds.
func reportRestored(ctx context.Context, cfg Config, meta api.BackupMeta, out io.Writer, log *slog.Logger) int {
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = cfg.catalogDir()
	cat, err := catalog.Open(ctx, ccfg, log)
	if err != nil {
		fmt.Fprintf(out, "错误: 已恢复的目录库无法打开: %v\n", err)
		return ExitFailed
	}
	defer cat.Close()
	v := cat.View()
	var entries, snaps, runs int
	v.EachEntry("", func(e *catalog.Entry) bool {
		entries++
		snaps += len(v.Snapshots(e.ResourceCode))
		runs += len(v.Runs(e.ResourceCode))
		return true
	})
	fmt.Fprintf(out, "恢复完成: %s\n  目录库索引 %d: 目录 %d 条, 快照 %d 个, 归集任务 %d 个, 账号 %d 个; 数据湖对象 %d 个已核对\n",
		cfg.DataDir, v.Index(), entries, snaps, runs, len(v.Principals()), meta.Objects)
	return ExitOK
}

func syncFolder(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// userErr is a failure of a restore told to the operator as it is.
func userErr(format string, args ...any) error { return schemas.Userf(nil, format, args...) }

// userErrWrap is userErr keeping err for the log.
func userErrWrap(err error, format string, args ...any) error {
	return &schemas.UserError{Msg: fmt.Sprintf(format, args...), Err: err}
}
