package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"

	"github.com/cqeco/ecolake/internal/app"
)

// The `ecolake backup` and `ecolake restore` commands.

func init() {
	register(
		&command{name: "backup", summary: "备份: 目录库检查点与数据湖对象清单 (可含对象副本) 写入本地目录或 S3", lake: true, verbose: true, setup: setupBackup,
			detail: "服务运行时用 --server 向服务取备份 (服务照常运行), 令牌放在环境变量 ECOLAKE_TOKEN 中 (须为密级上限为核心数据的系统管理员); " +
				"服务未运行时直接读取 --data 数据目录。\n" +
				"--to 须为不存在或空的本地目录, 或 s3://bucket/prefix (S3 地址与密钥同数据湖选项), 且在数据目录和数据湖之外。\n" +
				"备份最后写入说明文件 backup.json: 中断或失败的备份没有它, 恢复会拒绝。\n" +
				"--with-objects 同时复制目录库引用的全部数据湖对象 (数据文件、快照清单、拒绝行), 以便在另一台机器上连同本地数据湖一起恢复。"})
	register(
		&command{name: "restore", summary: "从备份恢复出新的数据目录 (目录库, 以及备份中的数据湖对象)", lake: true, verbose: true, setup: setupRestore,
			detail: "--data 须为不存在或空的目录; 恢复先在其旁的 *.restoring-* 临时目录中完成, 最后改名, 中断的恢复不会留下看似完整的数据目录。\n" +
				"恢复核对备份各文件的大小与校验和, 把对象副本写入目标数据湖 (--lake, 默认新数据目录下的 lake/), " +
				"再确认目录库引用的每个对象都在目标数据湖中且大小正确, 缺失的逐一列出; 之后才写入目录库。"})
}

func setupBackup(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.BackupArgs
	fs.StringVar(&a.To, "to", "", "备份写入的`位置`: 不存在或空的本地目录, 或 s3://bucket/prefix (必填)")
	fs.StringVar(&a.Server, "server", "", "运行中服务的`地址`, 如 http://127.0.0.1:8080 (令牌用环境变量 ECOLAKE_TOKEN); 不填则直接读取数据目录")
	fs.BoolVar(&a.WithObjects, "with-objects", false, "同时复制目录库引用的全部数据湖对象")
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		a.Token = os.Getenv("ECOLAKE_TOKEN")
		return app.RunBackup(ctx, *cfg, a, out, log)
	}
}

func setupRestore(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.RestoreArgs
	fs.StringVar(&a.From, "from", "", "备份所在的`位置`: 本地目录或 s3://bucket/prefix (必填)")
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunRestore(ctx, *cfg, a, out, log)
	}
}
