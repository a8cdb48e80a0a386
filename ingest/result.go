package ingest

import (
	"fmt"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Result is the outcome of one submission.
type Result struct {
	Run      catalog.Run
	Snapshot *catalog.Snapshot // nil when nothing was committed
	Encoding string            // "UTF-8" or "GB18030"
	// How the file was laid out, as found: the separator of a text file when not the comma
	// (Chinese: 制表符, 分号), the sheet of a workbook, and the line (row) of the header, above
	// which title rows were skipped.
	Delimiter  string
	Sheet      string
	HeaderLine int
	// PIProposals are the pi_types the values of text items without one suggest (pi.go): for a
	// steward to confirm through the directory; the entry is not changed.
	PIProposals []PIProposal
	// Duplicate: the file is one already loaded into the entry (the same SHA-256, Source): the
	// run added nothing and says so in its error; it is not the submitter's mistake.
	Duplicate bool
	// keys, on an upsert, are the keys of the accepted rows (upsert.go).
	keys *keySet
	// Unchanged: the run found nothing to add (a duplicate, a pull with no new records) and is
	// recorded UNCHANGED; the entry's data is as it was.
	Unchanged bool
	Source    string // the SHA-256 (hex) of the submitted file
	// Period is the reporting period the accepted rows cover (the entry's period item).
	Period  Span
	Rejects []Reject // the first Config.MaxRejectsInResult problems
	// Scoped is true when the submitter reads only part of the entry's rows (a district account on
	// a table of several districts): the whole table's size is not for it to learn, so the
	// summary leaves it out and doors should too.
	Scoped bool

	entryName string
	problems  int // problems in the rejected-rows file; a row may have several
	// periods are the values of the entry's period item (catalog.PeriodField) over the accepted
	// rows: the periods a district's replacement replaces.
	periods periodSet
	// profile is the profile of the accepted rows, merged into the new snapshot's (profile.go).
	profile *profiler
}

// Span is the reporting period a submission covers: the first and last value of the entry's
// period item (catalog.PeriodField) over its accepted rows; zero when it has none.
type Span struct {
	From, To  time.Time
	field     string // the period item
	name      string
	timestamp bool
}

func (s *Span) note(t time.Time) {
	if s.From.IsZero() || t.Before(s.From) {
		s.From = t
	}
	if s.To.IsZero() || t.After(s.To) {
		s.To = t
	}
}

// text is the span as a summary says it: 2024-05-01 至 2024-05-31.
func (s Span) text() string {
	layout := time.DateOnly
	if s.timestamp {
		layout = time.DateTime
	}
	return s.From.UTC().Format(layout) + " 至 " + s.To.UTC().Format(layout)
}

// maxPeriods bounds the distinct periods one replacement may report (a year of hourly readings
// is 8,784); beyond it the replacement is refused rather than held in memory.
const maxPeriods = 50_000

// periodSet holds the distinct period values noted, as Unix microseconds.
type periodSet struct {
	values   map[int64]struct{}
	from, to time.Time
	overflow bool
}

func (ps *periodSet) note(t time.Time) {
	if ps.values == nil {
		ps.values = map[int64]struct{}{}
	}
	k := t.UnixMicro()
	if _, ok := ps.values[k]; ok {
		return
	}
	if len(ps.values) >= maxPeriods {
		ps.overflow = true
		return
	}
	ps.values[k] = struct{}{}
	if len(ps.values) == 1 || t.Before(ps.from) {
		ps.from = t
	}
	if len(ps.values) == 1 || t.After(ps.to) {
		ps.to = t
	}
}

// ReasonNoValidRows is the run error when a file held no row that could be loaded.
const ReasonNoValidRows = "没有可入库的有效行"

var runStatusText = map[string]string{
	catalog.RunRunning:   "进行中",
	catalog.RunSucceeded: "成功",
	catalog.RunPartial:   "部分入库（有拒收行）",
	catalog.RunFailed:    "失败",
	catalog.RunUnchanged: "未变化（无新数据或重复）",
}

// Bounds of what a summary quotes from a reject: the values come from the submitted file.
const (
	maxValueInSummary  = 100
	maxReasonInSummary = 200
)

// Summary is a multi-line Simplified-Chinese account of the submission for the CLI and HTTP. Its
// size is bounded: text from the submission is clipped, only the kept rejects are listed, and
// storage keys are not named (the rejected rows are fetched by run).
func (r *Result) Summary() string {
	var b strings.Builder
	run := r.Run
	entry := run.Entry
	if r.entryName != "" {
		entry += " " + r.entryName
	}
	fmt.Fprintf(&b, "目录：%s\n", entry)
	src := schemas.Clip(run.Source, catalog.MaxRunSource)
	switch run.Kind {
	case KindPull:
		fmt.Fprintf(&b, "数据源：%s\n", src)
	case KindDerived:
		ins := make([]string, len(run.Inputs))
		for i, in := range run.Inputs {
			ins[i] = in.Entry + " 快照 " + in.Snapshot
		}
		fmt.Fprintf(&b, "加工输入：%s\n", strings.Join(ins, "；"))
	default:
		if r.Encoding != "" {
			src += "（" + r.Encoding + " 编码）"
		}
		fmt.Fprintf(&b, "报送文件：%s\n", src)
	}
	if r.Sheet != "" {
		fmt.Fprintf(&b, "工作表：%s\n", schemas.Clip(r.Sheet, maxNameInMessage))
	}
	if r.Delimiter != "" {
		fmt.Fprintf(&b, "分隔符：%s\n", r.Delimiter)
	}
	if r.HeaderLine > 1 {
		fmt.Fprintf(&b, "表头在第 %d 行，其上 %d 行视为标题，未读取\n", r.HeaderLine, r.HeaderLine-1)
	}
	status := runStatusText[run.Status]
	if status == "" {
		status = run.Status
	}
	if r.Duplicate {
		status = "重复报送，未重复入库"
	}
	fmt.Fprintf(&b, "批次：%s，状态：%s\n", run.ID, status)
	fmt.Fprintf(&b, "读取 %d 行：入库 %d 行，拒收 %d 行\n", run.RowsRead, run.RowsAccepted, run.RowsRejected)
	if !r.Period.From.IsZero() {
		fmt.Fprintf(&b, "报送时段（%s）：%s\n", schemas.Clip(r.Period.name, maxNameInMessage), r.Period.text())
	}
	if r.Snapshot != nil {
		if r.Scoped {
			fmt.Fprintf(&b, "新快照：%s\n", r.Snapshot.ID)
		} else {
			fmt.Fprintf(&b, "新快照：%s（共 %d 行，%d 个数据文件）\n", r.Snapshot.ID, r.Snapshot.Rows, r.Snapshot.Files)
		}
	} else {
		b.WriteString("未生成新快照，目录数据保持不变\n")
	}
	for _, pr := range r.PIProposals {
		fmt.Fprintf(&b, "个人信息识别：信息项“%s”（%s）的值疑似%s（%d 个样本中 %d 个符合），建议标注为个人信息并定为%s，请数据管理员在目录中确认\n",
			schemas.Clip(pr.Name, maxNameInMessage), pr.Field, schemas.PITypes.NameOf(pr.PIType), pr.Sampled, pr.Matched, schemas.Grades.NameOf(string(pr.Grade)))
	}
	if run.Error != "" {
		label := "失败原因"
		if r.Duplicate {
			label = "说明" // nothing failed: the file was loaded before
		}
		fmt.Fprintf(&b, "%s：%s\n", label, schemas.Clip(run.Error, catalog.MaxRunError))
	}
	if run.RejectedKey != "" {
		fmt.Fprintf(&b, "拒收明细（共 %d 条问题）已保存为本批次的拒收行文件，可按批次 %s 下载\n", r.problems, run.ID)
	}
	if len(r.Rejects) > 0 {
		if len(r.Rejects) < r.problems {
			fmt.Fprintf(&b, "前 %d 条问题：\n", len(r.Rejects))
		} else {
			b.WriteString("问题：\n")
		}
		for _, rj := range r.Rejects {
			b.WriteString("  ")
			b.WriteString(rj.String())
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// String renders one reject as a line of the summary.
func (rj Reject) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "第 %d 行", rj.Row)
	if rj.Column != "" {
		fmt.Fprintf(&b, "“%s”列", quoteName(rj.Column))
	}
	if rj.Value != "" && rj.Column != "" {
		fmt.Fprintf(&b, "值“%s”", schemas.Clip(rj.Value, maxValueInSummary))
	}
	b.WriteString("：")
	b.WriteString(schemas.Clip(rj.Reason, maxReasonInSummary))
	return b.String()
}

// operation names what the load does to its parent, as the manifest's summary records it:
// append, replace, or upsert (by the entry's key items).
func (r *Result) operation(sub Submission) string {
	switch {
	case sub.Replace:
		return "replace"
	case r.keys != nil:
		return "upsert"
	}
	return "append"
}
