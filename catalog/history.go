package catalog

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"
)

// History is one version of an entry's record: what was done, by whom, when and why, and which
// fields it changed. Index, the journal index of the command, orders and names the version.
type History struct {
	Entry   string
	Index   uint64
	At      time.Time
	Actor   Actor
	Action  string // Hist… below
	Status  string // status of the version the action left under way (or published)
	Note    string // reason or review comment
	Changes []FieldChange
}

// FieldChange is one field-level difference between two versions. Field is the English path
// ("share_type", "items[pm25].grade", "items"), Label its Chinese name; Old and New are shown as
// the API shows them (code ids, dates as 2006-01-02).
type FieldChange struct {
	Field string
	Label string
	Old   string
	New   string
}

// History actions.
const (
	HistCreate   = "create"    // 登记
	HistEdit     = "edit"      // 修改
	HistSubmit   = "submit"    // 提交审核
	HistApprove  = "approve"   // 审核通过
	HistSendBack = "send_back" // 退回
	HistRetire   = "retire"    // 下线
	HistRestore  = "restore"   // 恢复
	HistGrade    = "grade"     // 定级（升级即时生效）
)

// HistoryActionNames are the Chinese names of the history actions.
var HistoryActionNames = map[string]string{
	HistCreate: "登记", HistEdit: "修改", HistSubmit: "提交审核", HistApprove: "审核通过",
	HistSendBack: "退回修改", HistRetire: "下线", HistRestore: "恢复", HistGrade: "定级",
}

const (
	tableHistory = "history"
)

func historyTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableHistory,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Key")}, // buckets (history_buckets.go)
	}
}

// addHistory records the action of rec on entry code; before and after, when both are given, are
// compared field by field.
func addHistory(txn *memdb.Txn, rec *record, cmd *entryCmd, code, action, status string, before, after *Entry) error {
	h := History{Entry: code, Index: rec.Index, At: rec.At.UTC(), Actor: cmd.Actor, Action: action, Status: status, Note: cmd.Note}
	if before != nil && after != nil {
		h.Changes = Diff(before, after)
	}
	_, err := appendHistory(txn, &h)
	return err
}

// appendHistory stores and returns a new row for h's entry: its versions so far, then h.
func appendHistory(txn *memdb.Txn, h *History) (*historyRow, error) {
	row := historyRowOf(txn, h.Entry).with(h.Entry, h)
	if err := putHistoryRow(txn, row); err != nil {
		return nil, err
	}
	return row, nil
}

// HistoryFor lists the versions of an entry that exists for p, newest first, at most limit.
func (v *View) HistoryFor(p *Principal, code string, limit int) ([]*History, error) {
	e, err := entryTxn(v.txn, code)
	if err != nil || !exists(p, e) {
		return nil, entryNotFound(code)
	}
	row := historyRowOf(v.txn, code)
	var out []*History
	if row == nil {
		return out, nil
	}
	// A change under way that raises the entry above p's clearance is hidden from p (ChangeFor):
	// so are the differences of the versions made since the entry was last changed in the open.
	hideAfter := uint64(math.MaxUint64)
	if c, err := first[ChangeRequest](v.txn, tableChanges, "change request", code); err == nil && !exists(p, c.Proposed) {
		hideAfter = e.Revision
	}
	recs, err := row.versions()
	if err != nil {
		return nil, err
	}
	for i := len(recs) - 1; i >= 0 && len(out) < limit; i-- {
		c := &recs[i]
		if c.Index > hideAfter {
			c.Changes = nil
		}
		out = append(out, c)
	}
	return out, nil
}

// entryField is one compared field of an entry.
type entryField struct {
	field, label string
	get          func(*Entry) string
}

func joined(ss []string) string { return strings.Join(ss, "、") }

var entryFields = []entryField{
	{"name", "信息资源名称", func(e *Entry) string { return e.Name }},
	{"table", "数据表名", func(e *Entry) string { return e.Table }},
	{"category_code", "信息资源分类", func(e *Entry) string { return e.CategoryCode }},
	{"provider_name", "信息资源提供方", func(e *Entry) string { return e.ProviderName }},
	{"provider_code", "提供方代码", func(e *Entry) string { return e.ProviderCode }},
	{"abstract", "信息资源摘要", func(e *Entry) string { return e.Abstract }},
	{"format_type", "信息资源格式", func(e *Entry) string { return e.FormatType }},
	{"share_type", "共享类型", func(e *Entry) string { return e.ShareType }},
	{"share_condition", "共享条件", func(e *Entry) string { return e.ShareCondition }},
	{"share_mode", "共享方式", func(e *Entry) string { return e.ShareMode }},
	{"open_type", "开放类型", func(e *Entry) string { return e.OpenType }},
	{"open_condition", "开放条件", func(e *Entry) string { return e.OpenCondition }},
	{"sharing_basis", "共享开放法律依据", func(e *Entry) string { return e.SharingBasis }},
	{"update_cycle", "更新周期", func(e *Entry) string { return string(e.UpdateCycle) }},
	{"related_resource_codes", "关联资源代码", func(e *Entry) string { return joined(e.RelatedCodes) }},
	{"department", "责任处室", func(e *Entry) string { return e.Department }},
	{"district", "区县", func(e *Entry) string { return e.District }},
	{"source_kind", "数据来源", func(e *Entry) string { return e.SourceKind }},
	{"domains", "治理领域", func(e *Entry) string { return joined(e.Domains) }},
	{"business_items", "业务事项", func(e *Entry) string { return joined(e.BusinessItems) }},
	{"scenes", "应用场景", func(e *Entry) string { return joined(e.Scenes) }},
	{"secret", "涉密", func(e *Entry) string { return strconv.FormatBool(e.Secret) }},
	{"exempt", "不予归集", func(e *Entry) string { return strconv.FormatBool(e.Exempt) }},
	{"exempt_reason", "不予归集理由", func(e *Entry) string { return e.ExemptReason }},
	{"grade_override", "分级（人工调整）", func(e *Entry) string { return string(e.GradeOverride) }},
	{"grade", "分级", func(e *Entry) string { return string(e.Grade()) }},
	{"rules", "校验规则", func(e *Entry) string { return strings.Join(e.Rules, "；") }},
	{"write_mode", "写入方式", func(e *Entry) string { return e.WriteMode }},
	{"max_rejected_percent", "拒收行数上限（%）", func(e *Entry) string { return percentText(e.MaxRejectedPercent) }},
	{"partitions", "分区列", func(e *Entry) string { return joined(e.Partitions) }},
	{"retain_snapshots", "快照保留个数", func(e *Entry) string { return intText(e.RetainSnapshots) }},
	{"retain_days", "快照保留天数", func(e *Entry) string { return intText(e.RetainDays) }},
	{"transform_sql", "加工 SQL", func(e *Entry) string { return transformSQL(e) }},
}

// percentText is a percentage setting as the API writes it, "" when unset.
func percentText(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

type itemField struct {
	field, label string
	get          func(*Item) string
}

var itemFields = []itemField{
	{"name", "信息项名称", func(i *Item) string { return i.Name }},
	{"field", "字段标识", func(i *Item) string { return i.Field }},
	{"type", "数据类型", func(i *Item) string { return string(i.Type) }},
	{"length", "长度", func(i *Item) string { return strconv.Itoa(i.Length) }},
	{"required", "必填", func(i *Item) string { return strconv.FormatBool(i.Required) }},
	{"is_key", "主键", func(i *Item) string { return strconv.FormatBool(i.IsKey) }},
	{"grade", "分级", func(i *Item) string { return string(i.Grade) }},
	{"pi_type", "个人信息类型", func(i *Item) string { return i.PIType }},
	{"code_list", "代码表", func(i *Item) string { return i.CodeList }},
	{"description", "说明", func(i *Item) string { return i.Description }},
	{"min", "最小值", func(i *Item) string { return i.Min }},
	{"max", "最大值", func(i *Item) string { return i.Max }},
}

// Diff lists the field-level differences from a to b: the entry's fields, then items added,
// removed and changed (items are matched by their id, so a rename is a change, not a swap).
func Diff(a, b *Entry) []FieldChange {
	var out []FieldChange
	for _, f := range entryFields {
		if x, y := f.get(a), f.get(b); x != y {
			out = append(out, FieldChange{Field: f.field, Label: f.label, Old: x, New: y})
		}
	}
	if a.Items == b.Items {
		return out // the same packed list: a change of status or of fields only
	}
	ai, bi := a.Items.Slice(), b.Items.Slice()
	byID := map[int]*Item{}
	for i := range ai {
		byID[ai[i].ID] = &ai[i]
	}
	kept := map[int]bool{}
	for i := range bi {
		nb := &bi[i]
		old, ok := byID[nb.ID]
		if !ok || nb.ID == 0 {
			out = append(out, FieldChange{Field: "items", Label: "信息项", New: "新增 " + itemLabel(nb)})
			continue
		}
		kept[nb.ID] = true
		for _, f := range itemFields {
			if x, y := f.get(old), f.get(nb); x != y {
				out = append(out, FieldChange{Field: "items[" + nb.Field + "]." + f.field, Label: "信息项“" + nb.Name + "”的" + f.label, Old: x, New: y})
			}
		}
	}
	for i := range ai {
		if it := &ai[i]; !kept[it.ID] {
			out = append(out, FieldChange{Field: "items", Label: "信息项", Old: "删除 " + itemLabel(it)})
		}
	}
	return out
}

func itemLabel(it *Item) string { return it.Name + "（" + it.Field + "）" }

// HistoryLabel is the Chinese name of a history action.
func HistoryLabel(action string) string {
	if n, ok := HistoryActionNames[action]; ok {
		return n
	}
	return action
}
