package catalog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// ImportResult says what an import did with each entry, by resource code.
type ImportResult struct {
	Created   []string // registered as drafts
	Changed   []string // drafts changed in place, or change requests of published entries
	Unchanged []string
}

// ImportProblem is one reason an import was refused: the entry's position in the import, its
// resource code when it has one, the field and the message (Chinese).
type ImportProblem struct {
	Index   int
	Code    string
	Field   string
	Message string
}

// ImportError refuses a whole import: every problem of every entry, and nothing was changed.
type ImportError struct {
	Problems []ImportProblem
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "导入被拒绝，共 %d 处问题，目录未作任何修改", len(e.Problems))
	for i, p := range e.Problems {
		if i == 10 {
			fmt.Fprintf(&b, "；等")
			break
		}
		fmt.Fprintf(&b, "；第 %d 条", p.Index+1)
		if p.Code != "" {
			fmt.Fprintf(&b, "（%s）", p.Code)
		}
		if p.Field != "" {
			fmt.Fprintf(&b, " %s", p.Field)
		}
		fmt.Fprintf(&b, ": %s", p.Message)
	}
	return b.String()
}

func (e *ImportError) Unwrap() error { return ErrInvalid }

// UserMessage is the Chinese text for users (schemas.UserMessage).
func (e *ImportError) UserMessage() string { return e.Error() }

// MaxImportEntries bounds one import; a bigger directory is imported in parts.
const MaxImportEntries = 5000

const maxImportProblems = 200

const cmdImportEntries cmdType = "import_entries"

var errNothingToImport = errors.New("nothing to import")

type importCmd struct {
	Actor   Actor    `json:"actor"`
	Entries []*Entry `json:"entries"`
	Note    string   `json:"note,omitempty"`
}

func init() {
	appliers[cmdImportEntries] = applier{cmdVersion1, decodeApply(applyImportEntries)}
}

// ImportEntries applies a set of entries on behalf of p, as one command: an entry with no
// resource code, or one not in the catalogue, is registered as a draft; one that differs from
// its current version is edited (a draft in place, a published entry through a change request);
// one that does not differ is left alone. Status and publish date are the workflow's, never
// imported. Any problem refuses the whole import (*ImportError) and changes nothing.
func (s *Store) ImportEntries(ctx context.Context, p *Principal, entries []*Entry, reason string) (ImportResult, error) {
	if len(entries) > MaxImportEntries {
		return ImportResult{}, schemas.Userf(ErrInvalid, "一次最多导入 %d 条目录（本次 %d 条），请分批导入", MaxImportEntries, len(entries))
	}
	cmd := importCmd{Actor: actorOf(p), Note: clipNote(reason)}
	for _, e := range entries {
		if e == nil {
			return ImportResult{}, fmt.Errorf("import: nil entry: %w", ErrInvalid)
		}
		cmd.Entries = append(cmd.Entries, e.Copy())
	}
	var res ImportResult
	err := s.submit(ctx, cmdImportEntries, cmd, func(txn *memdb.Txn) error {
		if !Allowed(p, ActEditDirectory) {
			return errNoEdit
		}
		r, err := planImport(txn, p, cmd.Entries)
		res = r
		if err == nil && len(r.Created)+len(r.Changed) == 0 {
			return errNothingToImport // nothing to write: no command at all
		}
		return err
	})
	if errors.Is(err, errNothingToImport) {
		return res, nil
	}
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// planImport decides what the import does with each entry and checks it, without changing txn.
func planImport(txn *memdb.Txn, p *Principal, entries []*Entry) (ImportResult, error) {
	var res ImportResult
	var probs []ImportProblem
	add := func(i int, code string, err error) {
		var inv *schemas.InvalidError
		switch {
		case err == nil:
		case asInvalid(err, &inv):
			for _, pr := range inv.Problems {
				probs = append(probs, ImportProblem{Index: i, Code: code, Field: pr.Field, Message: pr.Message})
			}
		default:
			msg, _ := schemas.UserMessage(err)
			probs = append(probs, ImportProblem{Index: i, Code: code, Message: msg})
		}
	}
	next := map[string]uint64{} // category → last code given in this import
	codes, tables := map[string]int{}, map[string]int{}
	for i, e := range entries {
		if len(probs) >= maxImportProblems {
			break
		}
		n := e.Copy()
		if n.ResourceCode == "" && schemas.Categories.Has(n.CategoryCode) {
			last := max(next[n.CategoryCode], lastSequence(txn, n.CategoryCode)) + 1
			next[n.CategoryCode] = last
			n.ResourceCode = fmt.Sprintf("%s/%06d", n.CategoryCode, last)
		}
		if m := resourceCodeRE.FindStringSubmatch(n.ResourceCode); m != nil && m[1] == n.CategoryCode {
			if seq, err := strconv.ParseUint(m[2], 10, 64); err == nil {
				next[m[1]] = max(next[m[1]], seq) // as insertEntry counts it
			}
		}
		if j, dup := codes[n.ResourceCode]; dup && n.ResourceCode != "" {
			add(i, n.ResourceCode, schemas.Userf(ErrInvalid, "信息资源代码与第 %d 条重复", j+1))
			continue
		}
		codes[n.ResourceCode] = i
		w, _ := working(txn, n.ResourceCode)
		if w == nil {
			c, err := newEntryTxn(txn, n)
			if err != nil {
				add(i, n.ResourceCode, err)
				continue
			}
			if j, dup := tables[c.Table]; dup {
				add(i, c.ResourceCode, schemas.Userf(ErrInvalid, "数据表名 %s 与第 %d 条重复", c.Table, j+1))
				continue
			}
			tables[c.Table] = i
			add(i, c.ResourceCode, firstErr(mayWriteEntry(txn, p, c), mayEditDepartment(p, nil, c), validateDraft(txn, c, nil, nil)))
			res.Created = append(res.Created, c.ResourceCode)
			continue
		}
		if !exists(p, w.live) {
			add(i, n.ResourceCode, schemas.Userf(ErrConflict, "信息资源代码 %s 已被占用", schemas.Clip(n.ResourceCode, 64)))
			continue
		}
		c := w.edited(n)
		if len(Diff(w.entry(), c)) == 0 {
			res.Unchanged = append(res.Unchanged, c.ResourceCode)
			continue
		}
		if n.Revision != 0 {
			// The version the rows were exported at: a change made since is not overwritten.
			if err := w.checkBase(n.Revision); err != nil {
				add(i, c.ResourceCode, err)
				continue
			}
		}
		if w.status() == StatusRetired {
			add(i, c.ResourceCode, schemas.Userf(ErrConflict, "目录已下线，请先恢复再修改"))
			continue
		}
		tables[c.Table] = i
		add(i, c.ResourceCode, firstErr(mayWriteEntry(txn, p, c), mayEditDepartment(p, w.live, c), w.keepsTable(n), validateDraft(txn, c, n, w.entry())))
		res.Changed = append(res.Changed, c.ResourceCode)
	}
	if len(probs) > 0 {
		return ImportResult{}, &ImportError{Problems: probs}
	}
	return res, nil
}

func applyImportEntries(txn *memdb.Txn, rec *record, cmd *importCmd) error {
	for _, e := range cmd.Entries {
		ec := &entryCmd{Actor: cmd.Actor, Entry: jsonEntry(e), Note: cmd.Note}
		w, _ := working(txn, e.ResourceCode)
		switch {
		case w == nil:
			if err := applyCreateEntry(txn, rec, ec); err != nil {
				return err
			}
		case len(Diff(w.entry(), w.edited(e))) > 0:
			if err := applyEditEntry(txn, rec, ec); err != nil {
				return err
			}
		}
	}
	return nil
}

func asInvalid(err error, target **schemas.InvalidError) bool { return errors.As(err, target) }

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
