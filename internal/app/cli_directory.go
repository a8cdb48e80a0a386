package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/schemas"
)

// CatalogArgs are the arguments the `ecolake catalog …` commands share.
type CatalogArgs struct {
	As    string // Principal.ID to act as; "" for the offline operator
	Code  string // resource code
	File  string // entry document (create, edit)
	Base  uint64 // the version the operation is based on; 0 when not given
	Note  string // reason or review comment
	Limit int
	JSON  bool // show: print the entry document instead
}

// actingAs is the principal a catalog command acts as: the offline operator holds the data
// directory and so may act as any enabled principal of it, or as itself when id is empty.
func actingAs(v *catalog.View, id string) (*catalog.Principal, error) {
	if id == "" {
		return catalog.Operator(), nil
	}
	p, err := v.Principal(id)
	if err != nil {
		return nil, schemas.Userf(schemas.ErrNotFound, "账号 %s 不存在（ecolake principal list 列出账号）", schemas.Clip(id, 64))
	}
	if p.Disabled {
		return nil, schemas.Userf(schemas.ErrForbidden, "账号 %s 已停用，不能以它的身份操作", p.ID)
	}
	return p, nil
}

// withPrincipal opens the catalogue, resolves --as and runs fn; it says in Chinese why it cannot.
func withPrincipal(ctx context.Context, cfg Config, as string, out io.Writer, log *slog.Logger, fn func(*catalog.Store, *catalog.Principal) int) int {
	cat := openCatalogForCLI(ctx, cfg, out, log, false)
	if cat == nil {
		return ExitFailed
	}
	defer closeCatalog(cat, out)
	p, err := actingAs(cat.View(), as)
	if err != nil {
		fmt.Fprintf(out, "错误: %s\n", failure(err))
		return ExitFailed
	}
	return fn(cat, p)
}

// actorName names p in the output: its name and id, or the offline operator.
func actorName(p *catalog.Principal) string {
	if p.ID == "" {
		return p.Name
	}
	return p.Name + "（" + p.ID + "）"
}

// readEntryFile reads the one entry of an entry document.
func readEntryFile(file string) (*catalog.Entry, error) {
	if file == "" {
		return nil, errors.New("必须给出目录文件 (JSON, 字段同 examples/entry.json 中的目录)")
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("无法打开文件 %s（%s）", schemas.Clip(file, 256), openFailure(err))
	}
	defer f.Close()
	doc, err := api.DecodeDirectory(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", schemas.Clip(file, 256), err) // the document's problem, in Chinese
	}
	if len(doc.Entries) != 1 || len(doc.Departments) > 0 {
		return nil, fmt.Errorf("%s 应只含一条目录 (多条目录与处室请用 ecolake entry import)", schemas.Clip(file, 256))
	}
	return doc.Entries[0], nil
}

// RunCatalogCreate registers a new entry as a draft.
func RunCatalogCreate(ctx context.Context, cfg Config, a CatalogArgs, out io.Writer, log *slog.Logger) int {
	e, err := readEntryFile(a.File)
	if err != nil {
		fmt.Fprintf(out, "错误: %v\n", err)
		return ExitFailed
	}
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		n, err := cat.CreateEntry(ctx, p, e, a.Note)
		if err != nil {
			return failed(out, "登记目录", err)
		}
		fmt.Fprintf(out, "已登记目录 %s %s（草稿，版本 %d，数据表 %s，分级 %s，登记人 %s）。\n",
			n.ResourceCode, n.Name, n.Revision, n.Table, n.Grade().Name(), actorName(p))
		noteStatus(out, e)
		fmt.Fprintf(out, "提交审核: ecolake catalog submit %s --base %d\n", n.ResourceCode, n.Revision)
		return ExitOK
	})
}

// RunCatalogEdit changes an entry: a draft in place, a published one through a change request.
func RunCatalogEdit(ctx context.Context, cfg Config, a CatalogArgs, out io.Writer, log *slog.Logger) int {
	e, err := readEntryFile(a.File)
	if err != nil {
		fmt.Fprintf(out, "错误: %v\n", err)
		return ExitFailed
	}
	if e.ResourceCode == "" {
		fmt.Fprintln(out, "错误: 修改须在文件中给出 resource_code (登记新目录请用 ecolake catalog create)")
		return ExitFailed
	}
	if a.Base == 0 {
		fmt.Fprintf(out, "错误: 必须用 --base 给出修改所依据的版本 (ecolake catalog show %s 显示当前版本)\n", e.ResourceCode)
		return ExitFailed
	}
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		if err := cat.EditEntry(ctx, p, e, a.Base, a.Note); err != nil {
			return failed(out, "修改目录 "+e.ResourceCode, err)
		}
		w := working(cat.View(), p, e.ResourceCode)
		if w.change != nil {
			fmt.Fprintf(out, "已修改目录 %s: 修改成为变更申请（%s，版本 %d），审核通过前查询看到的仍是已发布版本。\n",
				e.ResourceCode, schemas.EntryStatuses.NameOf(w.change.Status), w.revision)
			printChanges(out, "  ", catalog.Diff(w.live, w.change.Proposed))
		} else {
			fmt.Fprintf(out, "已修改目录 %s（%s，版本 %d）。\n", e.ResourceCode, schemas.EntryStatuses.NameOf(w.live.Status), w.revision)
		}
		noteStatus(out, e)
		fmt.Fprintf(out, "提交审核: ecolake catalog submit %s --base %d\n", e.ResourceCode, w.revision)
		return ExitOK
	})
}

// noteStatus says that a status in the document was not applied: only the workflow sets one.
func noteStatus(out io.Writer, e *catalog.Entry) {
	if e.Status != "" && e.Status != catalog.StatusDraft {
		fmt.Fprintf(out, "注意: 文件中的状态“%s”未被采用，目录的状态只由审核流程决定（提交审核、审核通过）。\n", schemas.EntryStatuses.NameOf(e.Status))
	}
}

// workingEntry is an entry as it is under way: the published (or only) version, its open change
// request, and the version the next operation names as its base.
type workingEntry struct {
	live     *catalog.Entry
	change   *catalog.ChangeRequest
	revision uint64
}

// working reads entry code as p may see it (View.EntryFor, View.ChangeFor): live is nil when the
// entry does not exist for p (its grade raised above p's clearance, say), change nil when p has
// no change request of it in sight.
func working(v *catalog.View, p *catalog.Principal, code string) workingEntry {
	var w workingEntry
	w.live, _, _ = v.EntryFor(p, code, time.Now())
	if w.live == nil {
		return w
	}
	w.change, _ = v.ChangeFor(p, code)
	w.revision = catalog.Revision(w.live, w.change)
	return w
}

// current is the version under way: the change request's, else the entry's.
func (w workingEntry) current() *catalog.Entry {
	if w.change != nil {
		return w.change.Proposed
	}
	return w.live
}

// status is the status of the version under way.
func (w workingEntry) status() string {
	if w.change != nil {
		return w.change.Status
	}
	return w.live.Status
}
