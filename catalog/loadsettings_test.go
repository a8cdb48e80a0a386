package catalog

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// settingsEntry is validEntry with items of every type for the load settings to name: district
// (STRING, key), pm25 and pm10 (FLOAT), n_samples (INT), sample_date and report_date (DATE),
// read_at (TIMESTAMP), ok (BOOL), remark (STRING), phone (STRING, personal information).
func settingsEntry(seq, table string) *Entry {
	e := validEntry(seq, table)
	addItems(e,
		Item{Name: "PM10浓度", Field: "pm10", Type: schemas.Float, Grade: schemas.General2},
		Item{Name: "样本数", Field: "n_samples", Type: schemas.Int, Grade: schemas.General1},
		Item{Name: "监测日期", Field: "sample_date", Type: schemas.Date, Grade: schemas.General1},
		Item{Name: "报告日期", Field: "report_date", Type: schemas.Date, Grade: schemas.General1},
		Item{Name: "读数时间", Field: "read_at", Type: schemas.Timestamp, Grade: schemas.General1},
		Item{Name: "是否有效", Field: "ok", Type: schemas.Bool, Grade: schemas.General1},
		Item{Name: "备注", Field: "remark", Type: schemas.String, Grade: schemas.General1},
		Item{Name: "联系电话", Field: "phone", Type: schemas.String, Grade: schemas.General3, PIType: "MOBILE"},
	)
	return e
}

func pct(v float64) *float64 { return &v }

func TestLoadSettingsAreValidated(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	manyRules := make([]string, MaxRules+1)
	for i := range manyRules {
		manyRules[i] = fmt.Sprintf("n_samples >= %d", i)
	}
	for _, c := range []struct {
		name   string
		mutate func(e *Entry)
		want   []string // substrings of the error; none: the entry is accepted
	}{
		{"every setting well formed", func(e *Entry) {
			setItem(e, 1, func(it *Item) { it.Min, it.Max = "0", "1000" })
			setItem(e, 5, func(it *Item) { it.Min = "2020-01-01" })
			setItem(e, 3, func(it *Item) { it.Max = "１，０００" }) // as a district's spreadsheet types it
			setItem(e, 6, func(it *Item) { it.Min, it.Max = "2024-01-01 00:00", "2024-01-01 00:00:00" })
			e.Rules = []string{"sample_date <= report_date", "pm10>=pm25", "n_samples >= 0", "pm25 ＜＝ n_samples",
				"read_at >= sample_date", "ok = 是", "ok != false", `remark != "停用"`, "remark = 正常", "district != 500101",
				"report_date ≥ 2020-01-01"}
			e.WriteMode, e.MaxRejectedPercent = WriteModeUpsert, pct(0)
			e.Partitions = []string{"district", "year(sample_date)", "month(read_at)"}
		}, nil},
		{"append and a whole percentage", func(e *Entry) { e.WriteMode, e.MaxRejectedPercent = WriteModeAppend, pct(100) }, nil},

		{"range on text", func(e *Entry) { setItem(e, 0, func(it *Item) { it.Min = "a" }) }, []string{"items[0] (district).min: 字符串类型的信息项不能设置取值范围"}},
		{"range on yes/no", func(e *Entry) { setItem(e, 7, func(it *Item) { it.Max = "是" }) }, []string{"items[7] (ok).max: 布尔类型的信息项不能设置取值范围"}},
		{"bound not of the type", func(e *Entry) { setItem(e, 1, func(it *Item) { it.Min = "零" }) }, []string{"items[1] (pm25).min: \"零\" 不是有效的数值"}},
		{"min above max", func(e *Entry) { setItem(e, 1, func(it *Item) { it.Min, it.Max = "100", "99.5" }) }, []string{"items[1] (pm25).min: 最小值 100 大于最大值 99.5"}},
		{"date min above max", func(e *Entry) { setItem(e, 4, func(it *Item) { it.Min, it.Max = "2024-05-02", "2024/5/1" }) }, []string{"items[4] (sample_date).min: 最小值 2024-05-02 大于最大值 2024/5/1"}},

		{"rule with an unknown field", func(e *Entry) { e.Rules = []string{"sample_date <= report_day"} }, []string{"rules[0]: “report_day”不是本目录信息项的字段标识"}},
		{"rule with an unknown left field", func(e *Entry) { e.Rules = []string{"pm2_5 <= pm10"} }, []string{"rules[0]: “pm2_5”不是本目录信息项的字段标识"}},
		{"rule with text unquoted", func(e *Entry) { e.Rules = []string{"remark = valid"} }, []string{"rules[0]: “valid”不是本目录信息项的字段标识（文本常量请加引号）"}},
		{"rule between a number and a date", func(e *Entry) { e.Rules = []string{"pm25 <= sample_date"} }, []string{"rules[0]: 信息项“PM2.5浓度”（数值）与“监测日期”（日期）的类型不能比较"}},
		{"rule between text and a number", func(e *Entry) { e.Rules = []string{"remark = n_samples"} }, []string{"rules[0]: 信息项“备注”（字符串）与“样本数”（整数）的类型不能比较"}},
		{"rule ordering text", func(e *Entry) { e.Rules = []string{"district < remark"} }, []string{"rules[0]: 信息项“区县”是字符串类型，只能用 = 或 != 比较"}},
		{"rule on one item", func(e *Entry) { e.Rules = []string{"pm25 <= pm25"} }, []string{"rules[0]: 规则两边是同一信息项“PM2.5浓度”"}},
		{"rule with a bad operator", func(e *Entry) { e.Rules = []string{"pm25 => pm10"} }, []string{"rules[0]: 运算符“=>”无效"}},
		{"rule without an operator", func(e *Entry) { e.Rules = []string{"pm25 pm10"} }, []string{"rules[0]: “pm25 pm10”缺少比较运算符"}},
		{"rule without a right side", func(e *Entry) { e.Rules = []string{"pm25 >="} }, []string{"rules[0]: “pm25 >=”应写作“字段 运算符 字段或常量”"}},
		{"rule with a bad constant", func(e *Entry) { e.Rules = []string{"sample_date >= 2024-13-01"} }, []string{"rules[0]: 常量“2024-13-01”不能与信息项“监测日期”比较：\"2024-13-01\" 不是有效的日期"}},
		{"rule empty", func(e *Entry) { e.Rules = []string{" "} }, []string{"rules[0]: 规则为空"}},
		{"rule too long", func(e *Entry) { e.Rules = []string{"remark = \"" + strings.Repeat("长", MaxRuleChars) + "\""} }, []string{"rules[0]: 规则长 211 个字符，超过上限 200 个字符"}},
		{"rule twice", func(e *Entry) { e.Rules = []string{"pm10 >= pm25", " pm10 >= pm25"} }, []string{"rules[1]: 与 rules[0] 重复"}},
		{"too many rules", func(e *Entry) { e.Rules = manyRules }, []string{"rules: 最多 32 条规则，当前 33 条"}},

		{"upsert without key", func(e *Entry) {
			setItem(e, 0, func(it *Item) { it.IsKey = false })
			e.WriteMode = WriteModeUpsert
		}, []string{"write_mode: 按主键更新（upsert）须至少有一个主键信息项（is_key），本目录没有"}},
		{"unknown write mode", func(e *Entry) { e.WriteMode = "replace" }, []string{"write_mode: “replace”不是写入方式（可选：append 追加、upsert 按主键更新）"}},
		{"percentage above 100", func(e *Entry) { e.MaxRejectedPercent = pct(100.5) }, []string{"max_rejected_percent: 拒收行数上限 100.5% 应在 0 到 100 之间"}},
		{"negative percentage", func(e *Entry) { e.MaxRejectedPercent = pct(-1) }, []string{"max_rejected_percent: 拒收行数上限 -1% 应在 0 到 100 之间"}},

		{"partition by an unknown field", func(e *Entry) { e.Partitions = []string{"year(sampled)"} }, []string{"partitions[0]: “sampled”不是本目录信息项的字段标识"}},
		{"partition by the year of a number", func(e *Entry) { e.Partitions = []string{"year(pm25)"} }, []string{"partitions[0]: year(…) 只适用于日期或日期时间信息项，“PM2.5浓度”是数值类型"}},
		{"partition by a number", func(e *Entry) { e.Partitions = []string{"pm25"} }, []string{"partitions[0]: 数值型信息项“PM2.5浓度”不能作为分区列"}},
		{"partition by a timestamp", func(e *Entry) { e.Partitions = []string{"read_at"} }, []string{"partitions[0]: 日期时间信息项“读数时间”请按年或月分区：year(read_at) 或 month(read_at)"}},
		{"partition by personal information", func(e *Entry) { e.Partitions = []string{"phone"} }, []string{"partitions[0]: 信息项“联系电话”是个人信息，不能作为分区列"}},
		{"partition by a bad spec", func(e *Entry) { e.Partitions = []string{"week(sample_date)"} }, []string{"partitions[0]: “week(sample_date)”不是本目录信息项的字段标识（可写 字段、year(字段) 或 month(字段)）"}},
		{"partition twice", func(e *Entry) { e.Partitions = []string{"month(sample_date)", " month( sample_date )"} }, []string{"partitions[1]: 与 partitions[0] 重复"}},
		{"too many partitions", func(e *Entry) { e.Partitions = []string{"district", "sample_date", "year(read_at)", "ok"} }, []string{"partitions: 最多 3 个分区列，当前 4 个"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := settingsEntry("000002", "settings_table")
			c.mutate(e)
			err := s.PutEntry(ctx, e)
			if c.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// NaN is no percentage (a command could not even carry it: JSON has none).
func TestRejectedPercentIsANumber(t *testing.T) {
	p := newProblems("目录 x")
	checkLoadSettings(p, &Entry{MaxRejectedPercent: pct(math.NaN())})
	require.Len(t, p.list, 1)
	assert.Equal(t, schemas.Problem{Field: "max_rejected_percent", Message: "拒收行数上限 NaN% 应在 0 到 100 之间"}, p.list[0])
}

// A draft may name upsert before it has items; once it has some, one must be a key.
func TestDraftMayNameUpsertBeforeItsItems(t *testing.T) {
	s := newWorkflowStore(t)
	e := draftEntry("按主键更新的草稿")
	e.Items, e.WriteMode = ItemList{}, WriteModeUpsert
	_, err := s.CreateEntry(context.Background(), wfSteward, e, "")
	require.NoError(t, err)
	e = draftEntry("没有主键的草稿")
	setItem(e, 0, func(it *Item) { it.IsKey = false })
	e.WriteMode = WriteModeUpsert
	_, err = s.CreateEntry(context.Background(), wfSteward, e, "")
	require.ErrorIs(t, err, ErrInvalid)
}

// ParseRule gives ingest what it compares: the items' positions, the operator as one of RuleOps
// whatever its spelling, and a constant as the left item's type parses it.
func TestParseRule(t *testing.T) {
	items := settingsEntry("000001", "t").Items
	day := time.Date(2024, 5, 7, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		text      string
		left, op  string
		right     int
		value     any
		wantLabel string
	}{
		{"sample_date <= report_date", "sample_date", "<=", 5, nil, "监测日期 <= 报告日期"},
		{"pm10>=pm25", "pm10", ">=", 1, nil, "PM10浓度 >= PM2.5浓度"},
		{"n_samples ≥ 0", "n_samples", ">=", -1, int64(0), "样本数 >= 0"},
		{"pm25 ＜ 1,000.5", "pm25", "<", -1, 1000.5, "PM2.5浓度 < 1,000.5"},
		{"report_date <> 2024/5/7", "report_date", "!=", -1, day, "报告日期 != 2024/5/7"},
		{"ok == 否", "ok", "=", -1, false, "是否有效 = 否"},
		{"remark ≠ “停用”", "remark", "!=", -1, "停用", `备注 != "停用"`},
	} {
		t.Run(c.text, func(t *testing.T) {
			r, err := ParseRule(items, c.text)
			require.NoError(t, err)
			assert.Equal(t, c.left, r.Left.Field)
			assert.Equal(t, c.op, r.Op)
			assert.Equal(t, c.right, r.RightAt)
			assert.Equal(t, c.value, r.Const)
			assert.Equal(t, c.wantLabel, r.Label())
			if c.right >= 0 {
				it, at, _ := items.Field(r.Right.Field)
				assert.Equal(t, at, r.RightAt)
				assert.Equal(t, it, r.Right)
			}
		})
	}
}

// A change of a range, the rules or any other load setting is recorded in the entry's history
// with its Chinese label, and an edit that changes only them is not "unchanged".
func TestHistoryRecordsLoadSettings(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	d, err := s.CreateEntry(ctx, wfSteward, draftEntry("空气质量日报"), "")
	require.NoError(t, err)
	edit := current(t, s, d.ResourceCode)
	setItem(edit, 1, func(it *Item) { it.Min, it.Max = "0", "1000" })
	addItems(edit, Item{Name: "PM10浓度", Field: "pm10", Type: schemas.Float, Grade: schemas.General2})
	edit.Rules = []string{"pm10 >= pm25"}
	edit.WriteMode, edit.MaxRejectedPercent, edit.Partitions = WriteModeUpsert, pct(12.5), []string{"district"}
	require.NoError(t, s.EditEntry(ctx, wfSteward, edit, edit.Revision, "设定取值范围与规则"))

	got := current(t, s, d.ResourceCode)
	it, _ := got.Item("pm25")
	assert.Equal(t, [2]string{"0", "1000"}, [2]string{it.Min, it.Max})
	assert.Equal(t, []string{"pm10 >= pm25"}, got.Rules)
	assert.Equal(t, WriteModeUpsert, got.WriteMode)
	require.NotNil(t, got.MaxRejectedPercent)
	assert.Equal(t, 12.5, *got.MaxRejectedPercent)
	assert.Equal(t, []string{"district"}, got.Partitions)

	hist, err := s.View().HistoryFor(wfAdmin, d.ResourceCode, 10)
	require.NoError(t, err)
	changes := map[string]string{}
	for _, c := range hist[0].Changes {
		changes[c.Field+"|"+c.Old+"|"+c.New] = c.Label
	}
	assert.Equal(t, "信息项“PM2.5浓度”的最小值", changes["items[pm25].min||0"])
	assert.Equal(t, "信息项“PM2.5浓度”的最大值", changes["items[pm25].max||1000"])
	assert.Equal(t, "校验规则", changes["rules||pm10 >= pm25"])
	assert.Equal(t, "写入方式", changes["write_mode||upsert"])
	assert.Equal(t, "拒收行数上限（%）", changes["max_rejected_percent||12.5"])
	assert.Equal(t, "分区列", changes["partitions||district"])

	again := current(t, s, d.ResourceCode)
	again.Rules = []string{"pm10 >= pm25", "pm25 >= 0"}
	require.NoError(t, s.EditEntry(ctx, wfSteward, again, again.Revision, ""))
	hist, err = s.View().HistoryFor(wfAdmin, d.ResourceCode, 10)
	require.NoError(t, err)
	assert.Equal(t, []FieldChange{{Field: "rules", Label: "校验规则", Old: "pm10 >= pm25", New: "pm10 >= pm25；pm25 >= 0"}}, hist[0].Changes)
}

// Every field a steward edits shows in Diff, on which history and imports rely (an import that
// changes only an unlisted field would be taken as unchanged): a field added to Entry or Item is
// listed in history.go or here among the catalogue's own.
func TestDiffNamesEveryEditableField(t *testing.T) {
	owned := map[string]bool{"ResourceCode": true, "Items": true, "PublishDate": true, "Status": true, "LastItemID": true,
		"RetiredFields": true, "CurrentSnapshot": true, "CreatedAt": true, "UpdatedAt": true, "ModifyIndex": true,
		"Revision": true, "Review": true}
	seq := 0
	var a, other Entry
	fillAll(t, reflect.ValueOf(&a), &seq)
	fillAll(t, reflect.ValueOf(&other), &seq)
	other.Items = a.Items
	typ := reflect.TypeFor[Entry]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() || owned[f.Name] {
			continue
		}
		b := a
		changeField(reflect.ValueOf(&b).Elem().Field(i), reflect.ValueOf(other).Field(i))
		assert.NotEmpty(t, Diff(&a, &b), "a change of Entry.%s is not in Diff", f.Name)
	}
	items := a.Items.Slice()
	var fresh Item
	fillAll(t, reflect.ValueOf(&fresh), &seq)
	itemType := reflect.TypeFor[Item]()
	for i := range itemType.NumField() {
		if name := itemType.Field(i).Name; name != "ID" {
			changed := append([]Item(nil), items...)
			changeField(reflect.ValueOf(&changed[0]).Elem().Field(i), reflect.ValueOf(fresh).Field(i))
			b := a
			b.Items = ItemsOf(changed...)
			assert.NotEmpty(t, Diff(&a, &b), "a change of Item.%s is not in Diff", name)
		}
	}
}

// changeField sets dst to another value: src's, or for a flag (fillAll sets them all) its negation.
func changeField(dst, src reflect.Value) {
	if dst.Kind() == reflect.Bool {
		dst.SetBool(!dst.Bool())
		return
	}
	dst.Set(src)
}

// FuzzParseRule: any text either parses or is refused with a Chinese message, never a panic; a
// rule that parses names items of the entry with an operator of RuleOps, and written back in its
// plain form ("field op field", a constant as written) parses to the same rule.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"sample_date <= report_date", "pm10>=pm25", "n_samples ≥ 0", "pm25 ＜ 1,000.5",
		`remark != "停用"`, "ok == 否", "report_date <> 2024/5/7", "pm25 <== pm10", "“", "=", "pm25 = \"", "read_at >= sample_date"} {
		f.Add(s)
	}
	items := settingsEntry("000001", "t").Items
	f.Fuzz(func(t *testing.T, text string) {
		r, err := ParseRule(items, text)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalid)
			msg, ok := schemas.UserMessage(err)
			require.True(t, ok)
			require.NotEmpty(t, msg)
			return
		}
		require.Contains(t, RuleOps, r.Op)
		it, at, ok := items.Field(r.Left.Field)
		require.True(t, ok)
		require.Equal(t, at, r.LeftAt)
		require.Equal(t, it, r.Left)
		right := `"` + r.Literal + `"`
		if r.RightAt >= 0 {
			right = r.Right.Field
		}
		again, err := ParseRule(items, r.Left.Field+" "+r.Op+" "+right)
		if err != nil && r.RightAt < 0 && strings.Contains(r.Literal, `"`) {
			return // a constant holding a quote has no plain form
		}
		require.NoError(t, err)
		require.Equal(t, r, again)
	})
}
