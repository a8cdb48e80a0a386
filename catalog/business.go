package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// BusinessItem is a 业务事项 of the bureau: a duty the directory's entries serve. Entries name the
// business items they serve (Entry.BusinessItems holds their codes); 业务事项覆盖率 counts the
// business items served by at least one collected entry.
type BusinessItem struct {
	Code        string // stable id chosen by the steward, e.g. "YW_WATER_REPORT"
	Name        string // 地表水环境质量月度通报
	Department  string // Department.Code responsible
	Description string
	Retired     bool // 已下线: kept for the record, no longer counted nor linkable
	Revision    uint64
	UpdatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const (
	tableBusinessItems         = "business_items"
	cmdPutBusinessItem cmdType = "put_business_item"
	ckptBusinessItem   cmdType = "business_item"
)

func businessItemsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableBusinessItems,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Code")},
	}
}

type putBusinessItemCmd struct {
	Actor Actor        `json:"actor"`
	Item  BusinessItem `json:"item"`
	Base  uint64       `json:"base"`
}

func init() {
	appliers[cmdPutBusinessItem] = applier{cmdVersion1, decodeApply(applyPutBusinessItem)}
}

// MayEditLinked decides whether p may change a business item or scene of department: the
// decision PutBusinessItem and PutScene take, asked beforehand so that the doors offer only the
// changes that would be taken (an administrator any, a steward its own department's).
func MayEditLinked(p *Principal, department string) bool {
	return Allowed(p, ActEditDirectory) && mayEditDepartment(p, &Entry{Department: department}, nil) == nil
}

// PutBusinessItem registers or changes a business item on behalf of p: stewards their own
// department's, administrators any. base is the revision the change was made on (0 to register).
func (s *Store) PutBusinessItem(ctx context.Context, p *Principal, b BusinessItem, base uint64) error {
	b.Description = clipNote(b.Description)
	return s.submit(ctx, cmdPutBusinessItem, putBusinessItemCmd{Actor: actorOf(p), Item: b, Base: base}, func(txn *memdb.Txn) error {
		if !Allowed(p, ActEditDirectory) {
			return errNoEdit
		}
		old, _ := first[BusinessItem](txn, tableBusinessItems, "business item", b.Code)
		if err := checkLinkedBase("业务事项", b.Code, old, base, func(o *BusinessItem) (uint64, string, time.Time) { return o.Revision, o.UpdatedBy, o.UpdatedAt }); err != nil {
			return err
		}
		if old != nil {
			if err := mayEditDepartment(p, &Entry{ResourceCode: b.Code, Department: old.Department}, nil); err != nil {
				return err
			}
		}
		if err := mayEditDepartment(p, nil, &Entry{Department: b.Department}); err != nil {
			return err
		}
		pr := newProblems("业务事项 %s", b.Code)
		pr.key("code", b.Code)
		pr.required("name", b.Name)
		checkDepartment(txn, pr, b.Department)
		return pr.err()
	})
}

func applyPutBusinessItem(txn *memdb.Txn, rec *record, cmd *putBusinessItemCmd) error {
	b := cmd.Item
	at := rec.At.UTC()
	b.CreatedAt = at
	if old, err := first[BusinessItem](txn, tableBusinessItems, "business item", b.Code); err == nil {
		b.CreatedAt = old.CreatedAt
	}
	b.UpdatedAt, b.Revision, b.UpdatedBy = at, rec.Index, cmd.Actor.Name
	if err := txn.Insert(tableBusinessItems, &b); err != nil {
		return fmt.Errorf("insert business item %s: %w", b.Code, err)
	}
	return nil
}

// BusinessItems lists the business items, ordered by code.
func (v *View) BusinessItems() []*BusinessItem {
	var out []*BusinessItem
	each(v.txn, tableBusinessItems, indexID, func(b *BusinessItem) { c := *b; out = append(out, &c) })
	return out
}

// BusinessItem returns one business item.
func (v *View) BusinessItem(code string) (*BusinessItem, error) {
	b, err := first[BusinessItem](v.txn, tableBusinessItems, "business item", code)
	if err != nil {
		return nil, err
	}
	c := *b
	return &c, nil
}

// checkLinks refuses links to business items and scenes that are not in the catalogue (or are
// retired) and names the ones that are.
func checkLinks(txn *memdb.Txn, p *problems, e *Entry) {
	for i, code := range e.BusinessItems {
		b, err := first[BusinessItem](txn, tableBusinessItems, "business item", code)
		if err != nil || b.Retired {
			p.add(fmt.Sprintf("business_items[%d]", i), "业务事项%s不存在或已下线，请先登记业务事项", schemas.Quote(code))
		}
	}
	for i, code := range e.Scenes {
		sc, err := first[Scene](txn, tableScenes, "scene", code)
		if err != nil || sc.Retired {
			p.add(fmt.Sprintf("scenes[%d]", i), "应用场景%s不存在或已下线，请先登记应用场景", schemas.Quote(code))
		}
	}
}

func checkDepartment(txn *memdb.Txn, p *problems, code string) {
	if strings.TrimSpace(code) == "" {
		p.add("department", "必填")
	} else if _, err := first[Department](txn, tableDepartments, "department", code); err != nil {
		p.add("department", "部门%s不存在", schemas.Quote(code))
	}
}

// checkLinkedBase refuses a stale change of a business item or scene: base must be the current
// revision (0 for a new one).
func checkLinkedBase[T any](what, code string, old *T, base uint64, rev func(*T) (uint64, string, time.Time)) error {
	cur, who, at := uint64(0), "", time.Time{}
	if old != nil {
		cur, who, at = rev(old)
	}
	if cur == base {
		return nil
	}
	if old == nil {
		return schemas.Userf(ErrNotFound, "%s %s 不存在", what, schemas.Clip(code, 64))
	}
	return schemas.Userf(ErrConflict, "%s", fmt.Sprintf("%s %s 已被%s于 %s 修改（当前版本 %d，您的操作基于版本 %d），请刷新后重新操作",
		what, schemas.Clip(code, 64), who, at.In(beijing).Format("2006-01-02 15:04:05"), cur, base))
}
