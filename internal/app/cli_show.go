package app

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/lake/s3"
	"github.com/cqeco/ecolake/schemas"
)

// RunCatalogShow prints an entry with Chinese labels beside its codes: its version, status, open
// change request and grading evidence; with JSON, the entry document to edit instead.
func RunCatalogShow(ctx context.Context, cfg Config, a CatalogArgs, out io.Writer, log *slog.Logger) int {
	if a.Code == "" {
		fmt.Fprintln(out, "错误: 必须给出资源代码, 如 ecolake catalog show 0101/000001")
		return ExitFailed
	}
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		v := cat.View()
		e, _, err := v.EntryFor(p, a.Code, time.Now())
		if err != nil {
			return failed(out, "显示目录", notFound(a.Code, err))
		}
		w := working(v, p, e.ResourceCode)
		if a.JSON {
			b, err := api.EncodeEntry(w.current())
			if err != nil {
				return failed(out, "导出目录", err)
			}
			_, _ = out.Write(b)
			return ExitOK
		}
		printEntry(out, v, w)
		if ev, err := v.EvidenceFor(p, e.ResourceCode); err == nil {
			printEvidence(out, ev)
		}
		printProfile(ctx, cfg, out, v, p, e)
		return ExitOK
	})
}

// printProfile prints the profile of the entry's current snapshot as p may see it (the door's
// rule, api.ReadProfile); why it cannot is said in its place, the entry being shown already.
func printProfile(ctx context.Context, cfg Config, out io.Writer, v *catalog.View, p *catalog.Principal, e *catalog.Entry) {
	if e.CurrentSnapshot == "" {
		return
	}
	var b lake.Bucket
	var err error
	if cfg.Lake == "" || cfg.Lake == "file" {
		b, err = local.New(cfg.lakeDir())
	} else {
		b, err = s3.New(ctx, cfg.S3)
	}
	if err != nil {
		fmt.Fprintf(out, "数据概况: 无法打开数据湖（%v）\n", err)
		return
	}
	defer b.Close()
	prof, err := api.ReadProfile(ctx, v, b, p, e.ResourceCode, "", time.Now())
	if err != nil {
		fmt.Fprintf(out, "数据概况: %s\n", failure(err))
		return
	}
	fmt.Fprintf(out, "数据概况（快照 %s，%d 行）:\n", prof.Snapshot, prof.Rows)
	if prof.Note != "" {
		fmt.Fprintf(out, "  说明: %s\n", prof.Note)
	}
	if !prof.Profiled {
		return
	}
	var rows [][]string
	for _, it := range prof.Items {
		lo, hi, top := orDash(it.Min), orDash(it.Max), "-"
		if it.Masked {
			lo, hi = "个人信息，不显示", "-"
		}
		if len(it.Top) > 0 {
			parts := make([]string, len(it.Top))
			for i, tv := range it.Top {
				parts[i] = fmt.Sprintf("%s %d", cmp.Or(tv.Name, tv.Value), tv.Count)
			}
			top = strings.Join(parts, "、")
		}
		rows = append(rows, []string{it.Name, it.Field, schemas.DataTypes.NameOf(it.Type), strconv.FormatInt(it.Rows, 10),
			strconv.FormatInt(it.Nulls, 10), "约 " + strconv.FormatUint(it.Distinct, 10), lo, hi, top})
	}
	var tb strings.Builder
	writeTable(&tb, []string{"信息项名称", "字段", "类型", "行数", "空值", "不同值", "最小值", "最大值", "常见值"}, rows)
	for _, line := range strings.Split(strings.TrimSuffix(tb.String(), "\n"), "\n") {
		fmt.Fprintln(out, "  "+line)
	}
}

// notFound is the answer about an entry that does not exist for the caller, the same as about one
// that does not exist at all.
func notFound(code string, err error) error {
	if schemas.CodeOf(err) == schemas.CodeNotFound {
		return schemas.Userf(schemas.ErrNotFound, "目录 %s 不存在", schemas.Clip(code, 64))
	}
	return err
}

func printEntry(out io.Writer, v *catalog.View, w workingEntry) {
	e := w.live
	fmt.Fprintf(out, "目录 %s %s\n", e.ResourceCode, e.Name)
	status := schemas.EntryStatuses.NameOf(e.Status)
	if w.change != nil {
		status += "（有" + schemas.EntryStatuses.NameOf(w.change.Status) + "的变更申请）"
	}
	rows := [][]string{
		{"状态", status},
		{"版本", fmt.Sprintf("%d（修改、提交、审核与定级时以 --base %d 指明）", w.revision, w.revision)},
	}
	if e.Review.Comment != "" {
		rows = append(rows, []string{"审核意见", e.Review.Comment})
	}
	rows = append(rows, entryRows(v, e)...)
	rows = append(rows,
		[]string{"当前数据快照", orDash(e.CurrentSnapshot)},
		[]string{"登记时间", cliTime(e.CreatedAt)},
		[]string{"更新时间", cliTime(e.UpdatedAt) + prefixed("，", e.Review.UpdatedBy)},
	)
	writeFields(out, "  ", rows)
	fmt.Fprintf(out, "信息项（%d）:\n", e.Items.Len())
	printItems(out, e.Items)
	if c := w.change; c != nil {
		fmt.Fprintf(out, "变更申请: %s，%s，版本 %d，最后修改 %s %s", changeKinds[c.Kind], schemas.EntryStatuses.NameOf(c.Status),
			c.Revision, orDash(c.Review.UpdatedBy), cliTime(c.UpdatedAt))
		if c.Reason != "" {
			fmt.Fprintf(out, "，原因: %s", c.Reason)
		}
		fmt.Fprintln(out)
		if c.Review.Comment != "" {
			fmt.Fprintf(out, "  审核意见: %s\n", c.Review.Comment)
		}
		printChanges(out, "  ", catalog.Diff(e, c.Proposed))
	}
}

var changeKinds = map[string]string{catalog.ChangeEdit: "修改", catalog.ChangeDowngrade: "降级"}

// entryRows are the fields of e under their Chinese labels, codes with their names beside them.
func entryRows(v *catalog.View, e *catalog.Entry) [][]string {
	override := "无"
	if e.GradeOverride != "" {
		override = e.GradeOverride.Name()
	}
	return [][]string{
		{"信息资源分类", coded(schemas.Categories, e.CategoryCode)},
		{"信息资源提供方", orDash(e.ProviderName) + paren(e.ProviderCode)},
		{"信息资源摘要", orDash(e.Abstract)},
		{"信息资源格式", coded(schemas.FormatTypes, e.FormatType)},
		{"共享类型", coded(schemas.ShareTypes, e.ShareType)},
		{"共享条件", orDash(e.ShareCondition)},
		{"共享方式", coded(schemas.ShareModes, e.ShareMode)},
		{"开放类型", coded(schemas.OpenTypes, e.OpenType)},
		{"开放条件", orDash(e.OpenCondition)},
		{"共享开放法律依据", orDash(e.SharingBasis)},
		{"更新周期", coded(schemas.UpdateCycles, string(e.UpdateCycle))},
		{"发布日期", dateOrDash(e)},
		{"关联资源代码", orDash(strings.Join(e.RelatedCodes, "、"))},
		{"责任处室", departmentName(v, e.Department)},
		{"区县", coded(schemas.Districts, e.District)},
		{"数据来源", coded(schemas.SourceKinds, e.SourceKind)},
		{"治理领域", codedList(schemas.Domains, e.Domains)},
		{"业务事项", linkNames(e.BusinessItems, func(c string) string {
			if b, err := v.BusinessItem(c); err == nil {
				return b.Name
			}
			return ""
		})},
		{"应用场景", linkNames(e.Scenes, func(c string) string {
			if s, err := v.Scene(c); err == nil {
				return s.Name
			}
			return ""
		})},
		{"涉密", yesNo(e.Secret)},
		{"不予归集", yesNo(e.Exempt) + paren(e.ExemptReason)},
		{"分级", fmt.Sprintf("%s（人工调整: %s；就高从严）", e.Grade().Name(), override)},
		{"数据表名", e.Table},
		{"写入方式", catalog.WriteModeName(e.WriteMode)},
		{"拒收行数上限", rejectedLimit(e.MaxRejectedPercent)},
		{"快照保留", retentionText(e.RetainSnapshots, e.RetainDays)},
		{"校验规则", orDash(strings.Join(e.Rules, "；"))},
		{"分区列", orDash(strings.Join(e.Partitions, "、"))},
	}
}

func printItems(out io.Writer, items catalog.ItemList) {
	var rows [][]string
	for _, it := range items.All() {
		length := "-"
		if it.Length > 0 {
			length = strconv.Itoa(it.Length)
		}
		rows = append(rows, []string{strconv.Itoa(it.ID), it.Name, it.Field, schemas.DataTypes.NameOf(string(it.Type)), length,
			yesNo(it.Required), yesNo(it.IsKey), it.Grade.Name(), orDash(schemas.PITypes.NameOf(it.PIType)), orDash(it.CodeList),
			valueRange(it), orDash(it.Description)})
	}
	var b strings.Builder
	writeTable(&b, []string{"编号", "信息项名称", "字段", "类型", "长度", "必填", "主键", "分级", "个人信息", "代码表", "取值范围", "说明"}, rows)
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		fmt.Fprintln(out, "  "+line)
	}
}

func printEvidence(out io.Writer, ev *catalog.Evidence) {
	fmt.Fprintln(out, "定级依据:")
	proposed := "无（矩阵中没有该影响对象与程度）"
	if ev.Proposed != "" {
		proposed = ev.Proposed.Name()
	}
	writeFields(out, "  ", [][]string{
		{"影响对象", coded(schemas.ImpactObjects, ev.ImpactObject)},
		{"影响程度", coded(schemas.ImpactDegrees, ev.ImpactDegree)},
		{"定级矩阵建议", proposed},
		{"定级要素", codedList(schemas.GradingFactors, ev.Factors)},
		{"依据说明", orDash(ev.Basis)},
		{"定级人", orDash(actorLabel(ev.GradedBy)) + "，" + cliTime(ev.GradedAt)},
	})
}

// printChanges prints field-level differences, code values with their Chinese names.
func printChanges(out io.Writer, indent string, changes []catalog.FieldChange) {
	for _, c := range changes {
		switch {
		case c.Old == "" && strings.HasPrefix(c.New, "新增 "):
			fmt.Fprintf(out, "%s%s: %s\n", indent, c.Label, c.New)
		case c.New == "" && strings.HasPrefix(c.Old, "删除 "):
			fmt.Fprintf(out, "%s%s: %s\n", indent, c.Label, c.Old)
		default:
			fmt.Fprintf(out, "%s%s: %s → %s\n", indent, c.Label, changeValue(c.Field, c.Old), changeValue(c.Field, c.New))
		}
	}
}

// changeLists are the code lists of the compared fields, by the last part of their path.
var changeLists = map[string]*schemas.CodeList{
	"category_code": schemas.Categories, "format_type": schemas.FormatTypes, "share_type": schemas.ShareTypes,
	"share_mode": schemas.ShareModes, "open_type": schemas.OpenTypes, "update_cycle": schemas.UpdateCycles,
	"district": schemas.Districts, "source_kind": schemas.SourceKinds, "grade": schemas.Grades,
	"grade_override": schemas.Grades, "type": schemas.DataTypes, "pi_type": schemas.PITypes,
}

var boolFields = map[string]bool{"secret": true, "exempt": true, "required": true, "is_key": true}

func changeValue(field, v string) string {
	switch field {
	case "write_mode":
		return catalog.WriteModeName(v) // unset is append
	case "max_rejected_percent":
		return rejectedLimit(percentOf(v))
	case "retain_snapshots":
		return retainChange(v, retainCountText)
	case "retain_days":
		return retainChange(v, retainDaysText)
	}
	if v == "" {
		return "（空）"
	}
	last := field[strings.LastIndex(field, ".")+1:]
	if l, ok := changeLists[last]; ok {
		return l.NameOf(v)
	}
	if boolFields[last] {
		return yesNo(v == "true")
	}
	return "“" + v + "”"
}

// RunCatalogHistory prints the versions of an entry, newest first, with what each changed.
func RunCatalogHistory(ctx context.Context, cfg Config, a CatalogArgs, out io.Writer, log *slog.Logger) int {
	if a.Code == "" {
		fmt.Fprintln(out, "错误: 必须给出资源代码, 如 ecolake catalog history 0101/000001")
		return ExitFailed
	}
	if a.Limit <= 0 {
		a.Limit = 20
	}
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		v := cat.View()
		e, _, err := v.EntryFor(p, a.Code, time.Now())
		if err != nil {
			return failed(out, "显示目录历史", notFound(a.Code, err))
		}
		hist, err := v.HistoryFor(p, e.ResourceCode, a.Limit)
		if err != nil {
			return failed(out, "显示目录历史", notFound(a.Code, err))
		}
		fmt.Fprintf(out, "目录 %s %s 的历史（最近 %d 个版本）:\n", e.ResourceCode, e.Name, len(hist))
		for _, h := range hist {
			fmt.Fprintf(out, "版本 %d  %s  %s  %s  → %s\n", h.Index, cliTime(h.At), catalog.HistoryLabel(h.Action),
				actorLabel(h.Actor), schemas.EntryStatuses.NameOf(h.Status))
			if h.Note != "" {
				fmt.Fprintf(out, "  说明: %s\n", h.Note)
			}
			printChanges(out, "  ", h.Changes)
		}
		return ExitOK
	})
}

func actorLabel(a catalog.Actor) string {
	switch {
	case a.ID == "":
		return catalog.Operator().Name
	case a.Name == "":
		return a.ID
	}
	return a.Name + "（" + a.ID + "）"
}

// writeFields prints label/value pairs, the values aligned by display width.
func writeFields(out io.Writer, indent string, rows [][]string) {
	width := 0
	for _, r := range rows {
		width = max(width, displayWidth(r[0]))
	}
	for _, r := range rows {
		fmt.Fprintf(out, "%s%s%s  %s\n", indent, r[0], strings.Repeat(" ", width-displayWidth(r[0])), r[1])
	}
}

// coded is a code with its Chinese name beside it, "-" for none.
func coded(l *schemas.CodeList, id string) string {
	if id == "" {
		return "-"
	}
	if name := l.NameOf(id); name != id {
		return id + " " + name
	}
	return id
}

func codedList(l *schemas.CodeList, ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = coded(l, id)
	}
	return orDash(strings.Join(names, "、"))
}

func linkNames(codes []string, name func(string) string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c
		if n := name(c); n != "" {
			out[i] = c + " " + n
		}
	}
	return orDash(strings.Join(out, "、"))
}

func departmentName(v *catalog.View, code string) string {
	if d, err := v.Department(code); err == nil {
		return d.Code + " " + d.Name
	}
	return orDash(code)
}

func dateOrDash(e *catalog.Entry) string {
	if e.PublishDate.IsZero() {
		return "-"
	}
	return e.PublishDate.Local().Format("2006-01-02")
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "（" + s + "）"
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}
