package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/lake/s3"
)

// BackupArgs are the arguments of `ecolake backup`.
type BackupArgs struct {
	To string // the set's place: a local folder or s3://bucket/prefix, absent or empty
	// Server, when set, is the base URL of the running service to take the backup from (its
	// catalogue is locked by it); Token is then an administrator's token (ECOLAKE_TOKEN).
	Server      string
	Token       string
	WithObjects bool // the set also holds a copy of every referenced lake object
}

// RunBackup writes a backup set (api.BackupMeta) of a running service, or of the data directory
// when no service holds it, to an empty folder or S3 prefix. The set's description is written
// last, once every file before it has been checked: a backup that fails or is killed leaves no
// description, and restore refuses it.
func RunBackup(ctx context.Context, cfg Config, args BackupArgs, out io.Writer, log *slog.Logger) int {
	if args.To == "" {
		fmt.Fprintln(out, "用法: ecolake backup --to <本地目录 或 s3://bucket/prefix> [--server 服务地址] [--with-objects]")
		return ExitFailed
	}
	if args.Server != "" && args.Token == "" {
		fmt.Fprintln(out, "错误: 通过 --server 备份时须在环境变量 ECOLAKE_TOKEN 中提供系统管理员的令牌 (令牌不要写在命令行上)")
		return ExitFailed
	}
	if why := unsafeSetPlace(cfg, args.To, args.Server == ""); why != "" {
		fmt.Fprintf(out, "错误: 备份目标 %s %s; 请放在数据目录和数据湖之外\n", args.To, why)
		return ExitFailed
	}
	dest, err := openSetBucket(ctx, cfg, args.To, true)
	if err != nil {
		fmt.Fprintf(out, "错误: 备份目标 %s: %s\n", args.To, err)
		return ExitFailed
	}
	defer dest.Close()
	if msg := setEmpty(ctx, dest); msg != "" {
		fmt.Fprintf(out, "错误: 备份目标 %s %s; 请指定一个新的目录或前缀 (不会覆盖或混入已有文件)\n", args.To, msg)
		return ExitFailed
	}
	var (
		stream io.ReadCloser
		wait   = func() error { return nil }
	)
	if args.Server != "" {
		if stream, err = fetchBackup(ctx, args); err != nil {
			fmt.Fprintf(out, "错误: %s\n", err)
			return ExitFailed
		}
	} else {
		a := openForCLI(ctx, cfg, out, log)
		if a == nil {
			return ExitFailed
		}
		defer a.Close()
		bk, err := api.PrepareBackup(ctx, a.Cat, a.Bucket, args.WithObjects, time.Now())
		if err != nil {
			log.Error("backup", "err", api.Detail(err))
			fmt.Fprintf(out, "错误: %s（详情见日志）\n", api.Message(err))
			return ExitFailed
		}
		defer bk.Close()
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			_, err := bk.WriteTar(ctx, pw)
			pw.CloseWithError(err)
			done <- err
		}()
		stream, wait = pr, func() error { return <-done }
	}
	meta, err := receiveSet(ctx, stream, dest)
	stream.Close()
	if werr := wait(); werr != nil && err != nil {
		err = fmt.Errorf("%w (%s)", err, api.Message(werr))
		log.Error("backup", "err", api.Detail(werr))
	}
	if err != nil {
		fmt.Fprintf(out, "错误: 备份失败: %s\n%s 中已写入的文件不构成完整备份 (没有 %s), 恢复会拒绝它; 请删除后重试\n", err, args.To, api.BackupMetaName)
		return ExitFailed
	}
	copies := ""
	if meta.WithObjects {
		copies = ", 含对象副本"
	}
	fmt.Fprintf(out, "备份完成: %s\n  目录库索引 %d, 检查点 %.1f MB; 数据湖 %s 的对象 %d 个 (%.1f MB%s)\n",
		dest.Name(), meta.Checkpoint.Index, float64(meta.Checkpoint.Size)/1e6, meta.Lake, meta.Objects, float64(meta.Bytes)/1e6, copies)
	return ExitOK
}

// fetchBackup asks the service's backup door for the set as a tar stream.
func fetchBackup(ctx context.Context, args BackupArgs) (io.ReadCloser, error) {
	base, err := url.Parse(strings.TrimRight(args.Server, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("--server %q 应为服务地址, 如 http://127.0.0.1:8080", args.Server)
	}
	u := base.JoinPath("/api/v1/admin/backup")
	if args.WithObjects {
		u.RawQuery = "objects=true"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("--server %q: %v", args.Server, err)
	}
	req.Header.Set("Authorization", "Bearer "+args.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("无法连接服务 %s: %v", base.Redacted(), err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var body struct {
			Error string `json:"error"`
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(raw, &body) != nil || body.Error == "" {
			body.Error = http.StatusText(resp.StatusCode)
		}
		return nil, fmt.Errorf("服务拒绝备份 (HTTP %d): %s", resp.StatusCode, body.Error)
	}
	return resp.Body, nil
}

// openSetBucket opens the place of a backup set: a local folder or s3://bucket/prefix, with the
// S3 endpoint and credentials of the lake flags. A local folder that does not exist is created
// when create is set, and otherwise refused.
func openSetBucket(ctx context.Context, cfg Config, where string, create bool) (lake.Bucket, error) {
	if strings.HasPrefix(where, "s3://") {
		bucket, prefix, err := s3.ParseURL(where)
		if err != nil {
			return nil, fmt.Errorf("S3 位置无效: %v", err)
		}
		sc := cfg.S3
		sc.Bucket, sc.Prefix = bucket, prefix
		if err := sc.Validate(); err != nil {
			return nil, fmt.Errorf("S3 配置无效 (地址与密钥见 --s3-endpoint、ECOLAKE_S3_ACCESS_KEY、ECOLAKE_S3_SECRET_KEY): %v", err)
		}
		b, err := s3.New(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("无法访问 S3: %v", err)
		}
		return b, nil
	}
	if strings.Contains(where, "://") {
		return nil, errors.New("应为本地目录或 s3://bucket/prefix")
	}
	st, err := os.Stat(where)
	switch {
	case errors.Is(err, os.ErrNotExist) && !create:
		return nil, errors.New("目录不存在")
	case err == nil && !st.IsDir():
		return nil, errors.New("不是目录")
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("无法访问: %v", err)
	}
	b, err := local.New(where)
	if err != nil {
		return nil, fmt.Errorf("无法创建目录: %v", err)
	}
	return b, nil
}

// unsafeSetPlace says why a set at where would not be safe, "" when it is: inside the lake, gc
// deletes its files as objects no snapshot references; inside the data directory (known when
// the backup reads it, offline), it is lost with the directory it is meant to replace.
func unsafeSetPlace(cfg Config, where string, offline bool) string {
	if strings.HasPrefix(where, "s3://") {
		bucket, prefix, err := s3.ParseURL(where)
		if err != nil || !strings.HasPrefix(cfg.Lake, "s3://") {
			return "" // a bad location is openSetBucket's to refuse
		}
		lb, lp, err := s3.ParseURL(cfg.Lake)
		if err == nil && bucket == lb && strings.HasPrefix(prefix, lp) {
			return fmt.Sprintf("位于数据湖 %s 之内 (gc 会把备份文件当作无主对象删除)", cfg.Lake)
		}
		return ""
	}
	if !offline || strings.Contains(where, "://") {
		return ""
	}
	abs, err := filepath.Abs(where)
	if err != nil {
		return ""
	}
	data, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return ""
	}
	rel, err := filepath.Rel(data, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	return fmt.Sprintf("位于数据目录 %s 之内 (数据目录损坏或丢失时备份随之丢失, 数据湖目录中的备份还会被 gc 删除)", cfg.DataDir)
}

// setEmpty says why the place of a new set is not empty, "" when it is.
func setEmpty(ctx context.Context, b lake.Bucket) string {
	var first string
	err := b.Iter(ctx, "", func(key string) error {
		first = key
		return errStopIter
	})
	switch {
	case first != "":
		return fmt.Sprintf("不为空 (已有 %s)", first)
	case err != nil && !errors.Is(err, errStopIter):
		return fmt.Sprintf("无法列出: %v", err)
	}
	return ""
}

var errStopIter = errors.New("stop")
