package main

import (
	"flag"

	"github.com/cqeco/ecolake/internal/app"
)

// gcServeFlags adds the scheduled collection of serve: its interval and age guard, and the
// retention it applies.
func gcServeFlags(fs *flag.FlagSet, cfg *app.Config) {
	fs.DurationVar(&cfg.GC.Interval, "gc-interval", cfg.GC.Interval,
		"自动清理的`间隔`: 按快照保留策略使过期快照失效, 再删除无引用的数据湖文件; 启动后不久先清理一次 (0 为不自动清理)")
	fs.DurationVar(&cfg.GC.MinAge, "gc-min-age", cfg.GC.MinAge,
		"自动清理时保留比这更新的无引用文件 (可能属于进行中的归集); 刚过期快照的文件也再保留这么久 (进行中的查询)")
	retentionFlags(fs, cfg)
}

// retentionFlags adds the service's default snapshot retention, which entries may override
// (retain_snapshots, retain_days of an entry).
func retentionFlags(fs *flag.FlagSet, cfg *app.Config) {
	fs.IntVar(&cfg.GC.Retention.Snapshots, "retain-snapshots", cfg.GC.Retention.Snapshots,
		"未单独设置的目录保留最新的`个数`快照, 含当前快照 (0 为不按个数限制)")
	fs.IntVar(&cfg.GC.Retention.Days, "retain-days", cfg.GC.Retention.Days,
		"未单独设置的目录保留被替换不满此`天数`的快照 (0 为不按天数限制; 两项都为 0 时保留全部快照; 任一项保留即保留)")
	fs.IntVar(&cfg.GC.ReadDays, "retain-read-days", cfg.GC.ReadDays,
		"查询审计显示此`天数`内被读取过的快照不过期 (0 为不因查询而保留)")
	fs.IntVar(&cfg.GC.HistoryDays, "history-days", cfg.GC.HistoryDays,
		"目录中过往归集的记录 (已过期快照、运行记录) 保留的`天数`, 更早的随清理删除; 当前快照、未过期快照和运行中的归集不受影响 (0 为永久保留)")
}
