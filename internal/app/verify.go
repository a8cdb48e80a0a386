package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// ExitProblems is the exit code of `ecolake lake verify` when it found damaged or missing
// objects (ExitOK: none; ExitFailed: it could not run to the end).
const ExitProblems = 1

// DefaultVerifyJobs is how many objects `ecolake lake verify` reads at once unless told.
const DefaultVerifyJobs = 4

// maxVerifyJobs bounds --jobs: each job holds one open object.
const maxVerifyJobs = 64

// VerifyArgs are the arguments of `ecolake lake verify`.
type VerifyArgs struct {
	Entry string // resource code or table name; "" for every entry
	Jobs  int    // objects read at once
}

// RunVerify scrubs the lake: for every kept snapshot of every entry (or of args.Entry) it reads
// the manifest and streams each data file, comparing size and SHA-256 with the manifest, and
// checks that each run's rejected-rows file exists. Each problem is one line naming entry,
// snapshot (or run) and object; a summary follows. A damaged object's copy in the data
// directory's read cache is removed. Like gc it holds the catalogue lock, so no serve of this
// data directory runs meanwhile.
func RunVerify(ctx context.Context, cfg Config, args VerifyArgs, out io.Writer, log *slog.Logger) int {
	if args.Jobs < 1 || args.Jobs > maxVerifyJobs {
		fmt.Fprintf(out, "错误: --jobs %d 应在 1 到 %d 之间\n", args.Jobs, maxVerifyJobs)
		return ExitFailed
	}
	a := openForCLI(ctx, cfg, out, log)
	if a == nil {
		return ExitFailed
	}
	defer a.Close()
	v := a.Cat.View()
	entries := v.Entries()
	if args.Entry != "" {
		e, err := v.Entry(args.Entry)
		if errors.Is(err, catalog.ErrNotFound) {
			e, err = v.EntryByTable(args.Entry)
		}
		if err != nil {
			fmt.Fprintf(out, "错误: 目录资源 %s 不存在\n", schemas.Clip(args.Entry, 64))
			return ExitFailed
		}
		entries = []*catalog.Entry{e}
	}
	res, err := verifyLake(ctx, a.Bucket, v, entries, args.Jobs, cfg.cacheDir(), log)
	if err != nil {
		log.Error("lake verify", "err", err)
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(out, "错误: 检查被中断, 未检查完（详情见日志）")
		} else {
			fmt.Fprintln(out, "错误: 无法读取数据湖, 未检查完（详情见日志）")
		}
		return ExitFailed
	}
	for _, p := range res.problems {
		fmt.Fprintln(out, p.line())
	}
	if res.dropped > 0 {
		fmt.Fprintf(out, "已从本地读缓存中移除 %d 个损坏对象的副本\n", res.dropped)
	}
	fmt.Fprintf(out, "检查 %d 个快照、%d 个对象、%.1f MB, 发现 %d 个问题\n",
		res.snapshots, res.objects, float64(res.bytes)/1e6, len(res.problems))
	if len(res.problems) > 0 {
		return ExitProblems
	}
	return ExitOK
}

// verifyProblem is one damaged or missing object, as one snapshot (or run) references it.
type verifyProblem struct {
	entry, snapshot, run, key string
	what                      string // in Chinese: 缺失, 大小不符…, 校验和不符, 清单无法读取…
}

func (p verifyProblem) line() string {
	s := "目录 " + p.entry
	if p.snapshot != "" {
		s += " 快照 " + p.snapshot
	}
	if p.run != "" {
		s += " 运行 " + p.run + " 拒收明细"
	}
	return s + " 对象 " + p.key + ": " + p.what
}

type verifyResult struct {
	snapshots int   // kept snapshots checked
	objects   int   // distinct objects checked: manifests, data and rejected-rows files
	bytes     int64 // bytes of data files read
	problems  []verifyProblem
	dropped   int // cached copies of damaged objects removed
}

// verifyRef is one snapshot that references an object.
type verifyRef struct{ entry, snapshot string }

// verifyObject is one distinct data file and the snapshots that reference it; each object is
// read once however many snapshots share it.
type verifyObject struct {
	f    lake.DataFile
	refs []verifyRef
	what string // the problem found, "" when intact
}

// verifyLake checks entries' kept snapshots in v. Problems are listed entry by entry, in the
// order of the catalogue. The error is for what stops the check (the store not answering, a
// cancellation): then nothing is reported as damaged on a partial picture.
func verifyLake(ctx context.Context, b lake.BucketReader, v *catalog.View, entries []*catalog.Entry, jobs int, cacheDir string, log *slog.Logger) (verifyResult, error) {
	var res verifyResult
	var snaps []*catalog.Snapshot
	var runs []*catalog.Run
	for _, e := range entries {
		for _, s := range v.Snapshots(e.ResourceCode) {
			if !s.Expired() {
				snaps = append(snaps, s)
			}
		}
		for _, r := range v.Runs(e.ResourceCode) {
			if r.RejectedKey != "" {
				runs = append(runs, r)
			}
		}
	}
	res.snapshots = len(snaps)

	// The manifests first: they say which data files there are.
	manifests := make([]*lake.Manifest, len(snaps))
	manifestProblems := make([]string, len(snaps))
	err := forEachJob(ctx, jobs, len(snaps), func(ctx context.Context, i int) error {
		m, err := lake.ReadManifest(ctx, b, snaps[i].ManifestKey)
		switch {
		case err == nil:
			manifests[i] = m
		case stopsVerify(err):
			return err
		case errors.Is(err, lake.ErrNotFound):
			manifestProblems[i] = "清单无法读取（缺失）"
		case errors.Is(err, lake.ErrInvalidManifest):
			manifestProblems[i] = "清单无法读取（内容无法解析或不一致）"
		default:
			log.Warn("lake verify: manifest", "dataset", snaps[i].Entry, "snapshot", snaps[i].ID, "err", err)
			manifestProblems[i] = "清单无法读取（读取出错, 详情见日志）"
		}
		return nil
	})
	if err != nil {
		return res, err
	}

	var objects []*verifyObject
	byFile := map[string]*verifyObject{}
	snapObjects := make([][]*verifyObject, len(snaps))
	for i, m := range manifests {
		res.objects++ // the manifest
		if m == nil {
			continue
		}
		for _, f := range m.Files {
			id := fmt.Sprintf("%s\x00%s\x00%d", f.Key, f.SHA256, f.Bytes)
			o := byFile[id]
			if o == nil {
				o = &verifyObject{f: f}
				byFile[id] = o
				objects = append(objects, o)
			}
			o.refs = append(o.refs, verifyRef{snaps[i].Entry, snaps[i].ID})
			snapObjects[i] = append(snapObjects[i], o)
		}
	}
	rejected := map[string]string{} // key → problem
	var rejectedKeys []string
	for _, r := range runs {
		if _, ok := rejected[r.RejectedKey]; !ok {
			rejected[r.RejectedKey] = ""
			rejectedKeys = append(rejectedKeys, r.RejectedKey)
		}
	}
	res.objects += len(objects) + len(rejectedKeys)

	var mu sync.Mutex
	err = forEachJob(ctx, jobs, len(objects)+len(rejectedKeys), func(ctx context.Context, i int) error {
		if i >= len(objects) {
			key := rejectedKeys[i-len(objects)]
			what, err := verifyExists(ctx, b, key)
			if err != nil {
				return err
			}
			mu.Lock()
			rejected[key] = what
			mu.Unlock()
			return nil
		}
		o := objects[i]
		what, err := verifyData(ctx, b, o.f, log)
		if err != nil {
			return err
		}
		mu.Lock()
		o.what = what
		if what == "" || what == verifyChecksum {
			res.bytes += o.f.Bytes // read through
		}
		mu.Unlock()
		return nil
	})
	if err != nil {
		return res, err
	}

	for i, s := range snaps {
		if manifestProblems[i] != "" {
			res.problems = append(res.problems, verifyProblem{entry: s.Entry, snapshot: s.ID, key: s.ManifestKey, what: manifestProblems[i]})
		}
		for _, o := range snapObjects[i] {
			if o.what != "" {
				res.problems = append(res.problems, verifyProblem{entry: s.Entry, snapshot: s.ID, key: o.f.Key, what: o.what})
			}
		}
	}
	for _, r := range runs {
		if what := rejected[r.RejectedKey]; what != "" {
			res.problems = append(res.problems, verifyProblem{entry: r.Entry, snapshot: r.Snapshot, run: r.ID, key: r.RejectedKey, what: what})
		}
	}
	for _, o := range objects {
		if o.what == "" || o.what == verifyMissing {
			continue
		}
		// A damaged object's cached copy goes too (the cache verified it when it fetched, but
		// a copy of an object the lake no longer holds intact is not to be relied on).
		dropped, err := lake.DropCached(cacheDir, o.f.Key, o.f.SHA256)
		if err != nil {
			log.Warn("lake verify: drop cached copy", "err", err)
		}
		if dropped {
			res.dropped++
		}
	}
	return res, nil
}

// The problems of a data file whose object is absent or was read through.
const (
	verifyMissing  = "缺失"
	verifyChecksum = "校验和不符"
)

// verifyData checks one data file; it returns the problem in Chinese ("" when intact), or the
// error that stops the whole check.
func verifyData(ctx context.Context, b lake.BucketReader, f lake.DataFile, log *slog.Logger) (string, error) {
	err := lake.VerifyObject(ctx, b, f.Key, f.Bytes, f.SHA256)
	switch {
	case err == nil:
		return "", nil
	case stopsVerify(err):
		return "", err
	case errors.Is(err, lake.ErrNotFound):
		return verifyMissing, nil
	case errors.Is(err, lake.ErrSize):
		if attrs, aerr := b.Attributes(ctx, f.Key); aerr == nil && attrs.Size != f.Bytes {
			return fmt.Sprintf("大小不符（实际 %d 字节, 清单记载 %d 字节）", attrs.Size, f.Bytes), nil
		}
		return fmt.Sprintf("大小不符（清单记载 %d 字节）", f.Bytes), nil
	case errors.Is(err, lake.ErrChecksum):
		return verifyChecksum, nil
	}
	log.Warn("lake verify: data file", "err", err)
	return "无法读取（详情见日志）", nil
}

// verifyExists checks that a rejected-rows file is there (its size and checksum are recorded
// nowhere).
func verifyExists(ctx context.Context, b lake.BucketReader, key string) (string, error) {
	_, err := b.Attributes(ctx, key)
	switch {
	case err == nil:
		return "", nil
	case errors.Is(err, lake.ErrNotFound):
		return verifyMissing, nil
	}
	return "", fmt.Errorf("rejected rows %s: %w", key, err)
}

// stopsVerify: the store does not answer, or the check was cancelled. Reporting every object
// missing would be wrong then; the command stops instead.
func stopsVerify(err error) bool {
	return errors.Is(err, lake.ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// forEachJob calls fn for 0…n-1 on at most jobs goroutines; the first error stops what has not
// begun and cancels what runs, and is returned.
func forEachJob(ctx context.Context, jobs, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}
