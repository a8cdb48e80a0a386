package query

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The input types of the directory mutations. graphql-go hands an input object over as a map of
// the fields the caller gave, nulls dropped; the readers below apply exactly those fields to the
// version being changed, so a field left out keeps its value and "" or [] clears it. Values of a
// code list are accepted as the id or the Chinese name and stored as the id. Every problem of
// one input is reported at once, under the field's GraphQL name, with the same bounds for all.

// Bounds of one input.
const (
	maxInputItems = 500             // items of one entry
	maxInputList  = 100             // domains, related codes, business items, scenes, factors
	maxShortText  = 200             // names, providers, codes, identifiers (characters)
	maxLongText   = 4000            // the abstract
	maxNoteText   = catalog.MaxNote // reasons, comments, conditions, legal basis, descriptions
)

func (d *workflowTypes) newInputs() {
	str, nn := graphql.String, graphql.NewNonNull
	strs := graphql.NewList(nn(str))
	in := func(t graphql.Input, desc string) *graphql.InputObjectFieldConfig {
		return &graphql.InputObjectFieldConfig{Type: t, Description: desc}
	}
	d.itemInput = graphql.NewInputObject(graphql.InputObjectConfig{Name: "ItemInput", Description: "信息项", Fields: graphql.InputObjectConfigFieldMap{
		"id":          in(graphql.Int, "信息项编号: 改名时传回原编号以保留信息项, 新信息项不填"),
		"name":        in(nn(str), "信息项名称"),
		"field":       in(nn(str), "字段标识 (英文字母开头, 字母、数字、_)"),
		"type":        in(str, "数据类型 (代码或中文名称)"),
		"length":      in(graphql.Int, "最大长度"),
		"required":    in(graphql.Boolean, "是否必填"),
		"isKey":       in(graphql.Boolean, "是否主键"),
		"grade":       in(str, "分级 (代码或中文名称)"),
		"piType":      in(str, "个人信息类型 (代码或中文名称)"),
		"codeList":    in(str, "代码表 (名称或中文名称)"),
		"description": in(str, "说明"),
		"min":         in(str, "取值下限 (含), 按数据类型书写; 仅整数、数值、日期、日期时间"),
		"max":         in(str, "取值上限 (含)"),
	}})
	d.entryInput = graphql.NewInputObject(graphql.InputObjectConfig{Name: "EntryInput",
		Description: "目录资源: 未提供的字段保持不变, 空字符串或空列表清空; 代码类字段可填代码或中文名称",
		Fields: graphql.InputObjectConfigFieldMap{
			"resourceCode":       in(str, "信息资源代码 (仅登记时, 不填则按分类自动生成)"),
			"table":              in(str, "数据表名 (不填则由资源代码生成)"),
			"name":               in(str, "信息资源名称"),
			"category":           in(str, "信息资源分类"),
			"providerName":       in(str, "信息资源提供方"),
			"providerCode":       in(str, "提供方统一社会信用代码"),
			"abstract":           in(str, "信息资源摘要"),
			"formatType":         in(str, "信息资源格式"),
			"shareType":          in(str, "共享类型 (不填则按分级建议)"),
			"shareCondition":     in(str, "共享条件"),
			"shareMode":          in(str, "共享方式"),
			"openType":           in(str, "开放类型 (不填则按分级建议)"),
			"openCondition":      in(str, "开放条件"),
			"sharingBasis":       in(str, "共享开放的法律依据"),
			"updateCycle":        in(str, "更新周期"),
			"relatedCodes":       in(strs, "关联资源代码"),
			"department":         in(str, "责任处室 (代码或名称)"),
			"district":           in(str, "区县 (代码或名称, 市级填 500000)"),
			"sourceKind":         in(str, "数据来源"),
			"domains":            in(strs, "治理领域"),
			"businessItems":      in(strs, "服务的业务事项代码"),
			"scenes":             in(strs, "服务的应用场景代码"),
			"secret":             in(graphql.Boolean, "涉密"),
			"exempt":             in(graphql.Boolean, "不予归集"),
			"exemptReason":       in(str, "不予归集理由"),
			"gradeOverride":      in(str, "人工调整的分级"),
			"items":              in(graphql.NewList(nn(d.itemInput)), "信息项 (提供时整体替换)"),
			"rules":              in(strs, "校验规则: 每条“字段 运算符 字段或常量”, 如 sample_date <= report_date"),
			"writeMode":          in(str, "写入方式: append 追加 或 upsert 按主键更新 (代码或中文名称)"),
			"maxRejectedPercent": in(graphql.Float, "拒收行数上限 (%, 0–100); 不填沿用系统默认"),
			"retainSnapshots":    in(graphql.Int, "快照保留个数 (含当前快照, 0–100000); 0 为不按个数限制; 不填沿用原值 (新登记为系统默认)"),
			"retainDays":         in(graphql.Int, "快照保留天数 (被替换后, 0–36500); 0 为不按天数限制; 不填沿用原值 (新登记为系统默认)"),
			"partitions":         in(strs, "分区列: 字段、year(字段) 或 month(字段), 最多 3 个"),
			"transform":          in(str, "加工 SQL: 本目录由其他目录加工生成 (只能读取本账号可完整读取的目录, 信息项须与输出列一一对应, 未提供信息项时按输出列生成); 空字符串取消"),
		}})
	d.itemGradeInput = graphql.NewInputObject(graphql.InputObjectConfig{Name: "ItemGradeInput", Description: "信息项的分级", Fields: graphql.InputObjectConfigFieldMap{
		"field": in(nn(str), "字段标识"),
		"grade": in(nn(str), "分级 (代码或中文名称)"),
	}})
	d.evidenceInput = graphql.NewInputObject(graphql.InputObjectConfig{Name: "EvidenceInput", Description: "定级依据", Fields: graphql.InputObjectConfigFieldMap{
		"impactObject": in(nn(str), "影响对象 (代码或中文名称)"),
		"impactDegree": in(nn(str), "影响程度 (代码或中文名称)"),
		"factors":      in(strs, "定级要素 (代码或中文名称)"),
		"basis":        in(nn(str), "定级依据"),
	}})
	linked := func(name, desc string, extra graphql.InputObjectConfigFieldMap) *graphql.InputObject {
		fields := graphql.InputObjectConfigFieldMap{
			"code":        in(nn(str), "代码 (英文字母、数字或 _ . : -)"),
			"name":        in(str, "名称"),
			"department":  in(str, "责任处室 (代码或名称)"),
			"description": in(str, "说明"),
			"retired":     in(graphql.Boolean, "已下线"),
		}
		for k, f := range extra {
			fields[k] = f
		}
		return graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Description: desc + ": 未提供的字段保持不变", Fields: fields})
	}
	d.businessInput = linked("BusinessItemInput", "业务事项", nil)
	d.sceneInput = linked("SceneInput", "应用场景", graphql.InputObjectConfigFieldMap{
		"kind":     in(str, "类型: one_thing（一件事）或 composite（综合场景）, 可填中文名称"),
		"accounts": in(strs, "场景账号 (应用场景角色的账号 ID), 给出即整体替换, 空列表为清除"),
	})
}

// inputCheck collects the problems of one input.
type inputCheck struct {
	view     *viewLookup
	problems []schemas.Problem
}

func (c *inputCheck) add(field, format string, args ...any) {
	c.problems = append(c.problems, schemas.Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err is an *schemas.InvalidError naming every problem, nil when there is none.
func (c *inputCheck) err(subject string) error {
	if len(c.problems) == 0 {
		return nil
	}
	return &schemas.InvalidError{Subject: subject, Problems: c.problems, Err: ErrInvalid}
}

// text applies a string field of m when given, bounded to limit characters.
func (c *inputCheck) text(m map[string]any, key, path string, limit int, set func(string)) {
	v, ok := m[key].(string)
	if !ok {
		return
	}
	if n := utf8.RuneCountInString(v); n > limit {
		c.add(path, "长度 %d 字, 超过上限 %d 字", n, limit)
		return
	}
	set(strings.TrimSpace(v))
}

// code applies a code-list field of m when given: the id, or the id of the Chinese name given.
func (c *inputCheck) code(m map[string]any, key, path string, l *schemas.CodeList, set func(string)) {
	c.text(m, key, path, maxShortText, func(v string) {
		if id, ok := c.lookup(path, l, v); ok {
			set(id)
		}
	})
}

// lookup normalises one value of a code list; "" stays "" (a draft may leave it empty).
func (c *inputCheck) lookup(path string, l *schemas.CodeList, v string) (string, bool) {
	if v == "" {
		return "", true
	}
	if code, ok := l.Lookup(v); ok {
		return code.ID, true
	}
	msg := strings.TrimSuffix(l.Check(path, v).Error(), ": "+schemas.ErrInvalid.Error())
	c.add(path, "%s", strings.TrimPrefix(msg, path+": "))
	return "", false
}

// list applies a list-of-strings field of m when given; each element is normalised by norm.
func (c *inputCheck) list(m map[string]any, key, path string, norm func(path, v string) (string, bool), set func([]string)) {
	raw, ok := m[key].([]any)
	if !ok {
		return
	}
	if len(raw) > maxInputList {
		c.add(path, "共 %d 项, 超过上限 %d 项", len(raw), maxInputList)
		return
	}
	out := make([]string, 0, len(raw))
	good := true
	for i, e := range raw {
		at := fmt.Sprintf("%s[%d]", path, i)
		s, _ := e.(string)
		if n := utf8.RuneCountInString(s); n > maxShortText {
			c.add(at, "长度 %d 字, 超过上限 %d 字", n, maxShortText)
			good = false
			continue
		}
		v, ok := norm(at, strings.TrimSpace(s))
		good = good && ok
		out = append(out, v)
	}
	if good {
		set(out)
	}
}

func (c *inputCheck) flag(m map[string]any, key string, set func(bool)) {
	if v, ok := m[key].(bool); ok {
		set(v)
	}
}

func (c *inputCheck) codes(l *schemas.CodeList) func(string, string) (string, bool) {
	return func(path, v string) (string, bool) { return c.lookup(path, l, v) }
}

func asIs(_, v string) (string, bool) { return v, true }

// viewLookup resolves the names of catalogue objects an input may give instead of their codes.
type viewLookup struct{ v *catalog.View }

// department is the code of a department given by code or by name; an unknown one is kept for
// the catalogue to refuse.
func (l *viewLookup) department(v string) string {
	if v == "" || l == nil {
		return v
	}
	if _, err := l.v.Department(v); err == nil {
		return v
	}
	for _, d := range l.v.Departments() {
		if d.Name == v {
			return d.Code
		}
	}
	return v
}

// applyEntry applies an EntryInput to e, the version being changed (a zero entry for a new one).
func (c *inputCheck) applyEntry(m map[string]any, e *catalog.Entry) {
	short := func(key string, dst *string) { c.text(m, key, key, maxShortText, func(v string) { *dst = v }) }
	note := func(key string, dst *string) { c.text(m, key, key, maxNoteText, func(v string) { *dst = v }) }
	code := func(key string, l *schemas.CodeList, dst *string) {
		c.code(m, key, key, l, func(v string) { *dst = v })
	}
	short("resourceCode", &e.ResourceCode)
	short("table", &e.Table)
	short("name", &e.Name)
	code("category", schemas.Categories, &e.CategoryCode)
	short("providerName", &e.ProviderName)
	short("providerCode", &e.ProviderCode)
	c.text(m, "abstract", "abstract", maxLongText, func(v string) { e.Abstract = v })
	code("formatType", schemas.FormatTypes, &e.FormatType)
	code("shareType", schemas.ShareTypes, &e.ShareType)
	note("shareCondition", &e.ShareCondition)
	code("shareMode", schemas.ShareModes, &e.ShareMode)
	code("openType", schemas.OpenTypes, &e.OpenType)
	note("openCondition", &e.OpenCondition)
	note("sharingBasis", &e.SharingBasis)
	c.code(m, "updateCycle", "updateCycle", schemas.UpdateCycles, func(v string) { e.UpdateCycle = schemas.UpdateCycle(v) })
	c.list(m, "relatedCodes", "relatedCodes", asIs, func(v []string) { e.RelatedCodes = v })
	c.text(m, "department", "department", maxShortText, func(v string) { e.Department = c.view.department(v) })
	code("district", schemas.Districts, &e.District)
	code("sourceKind", schemas.SourceKinds, &e.SourceKind)
	c.list(m, "domains", "domains", c.codes(schemas.Domains), func(v []string) { e.Domains = v })
	c.list(m, "businessItems", "businessItems", asIs, func(v []string) { e.BusinessItems = v })
	c.list(m, "scenes", "scenes", asIs, func(v []string) { e.Scenes = v })
	c.flag(m, "secret", func(v bool) { e.Secret = v })
	c.flag(m, "exempt", func(v bool) { e.Exempt = v })
	note("exemptReason", &e.ExemptReason)
	c.code(m, "gradeOverride", "gradeOverride", schemas.Grades, func(v string) { e.GradeOverride = schemas.Grade(v) })
	c.list(m, "rules", "rules", asIs, func(v []string) { e.Rules = v })
	c.text(m, "writeMode", "writeMode", maxShortText, func(v string) { e.WriteMode = writeModeID(v) })
	if v, ok := m["maxRejectedPercent"].(float64); ok {
		e.MaxRejectedPercent = &v
	}
	if v, ok := m["retainSnapshots"].(int); ok {
		e.RetainSnapshots = &v
	}
	if v, ok := m["retainDays"].(int); ok {
		e.RetainDays = &v
	}
	c.list(m, "partitions", "partitions", asIs, func(v []string) { e.Partitions = v })
	if raw, ok := m["items"].([]any); ok {
		if len(raw) > maxInputItems {
			c.add("items", "共 %d 个信息项, 超过上限 %d 个", len(raw), maxInputItems)
			return
		}
		items := make([]catalog.Item, 0, len(raw))
		for i, r := range raw {
			im, _ := r.(map[string]any)
			items = append(items, c.item(im, fmt.Sprintf("items[%d]", i)))
		}
		e.Items = catalog.ItemsOf(items...)
	}
}

// item reads one ItemInput; an item is given whole.
func (c *inputCheck) item(m map[string]any, at string) catalog.Item {
	var it catalog.Item
	if id, ok := m["id"].(int); ok {
		if id < 0 {
			c.add(at+".id", "编号 %d 不能为负数", id)
		}
		it.ID = id
	}
	c.text(m, "name", at+".name", maxShortText, func(v string) { it.Name = v })
	c.text(m, "field", at+".field", maxShortText, func(v string) { it.Field = v })
	c.code(m, "type", at+".type", schemas.DataTypes, func(v string) { it.Type = schemas.DataType(v) })
	if n, ok := m["length"].(int); ok {
		it.Length = n
	}
	c.flag(m, "required", func(v bool) { it.Required = v })
	c.flag(m, "isKey", func(v bool) { it.IsKey = v })
	c.code(m, "grade", at+".grade", schemas.Grades, func(v string) { it.Grade = schemas.Grade(v) })
	c.code(m, "piType", at+".piType", schemas.PITypes, func(v string) { it.PIType = v })
	c.text(m, "codeList", at+".codeList", maxShortText, func(v string) { it.CodeList = codeListName(v) })
	c.text(m, "description", at+".description", maxNoteText, func(v string) { it.Description = v })
	c.text(m, "min", at+".min", maxShortText, func(v string) { it.Min = v })
	c.text(m, "max", at+".max", maxShortText, func(v string) { it.Max = v })
	return it
}

// writeModeID is the id of a write mode given by id or Chinese name; anything else as it is,
// for the catalogue to refuse.
func writeModeID(v string) string {
	for id, name := range catalog.WriteModeNames {
		if v == name {
			return id
		}
	}
	return v
}

// codeListName is the name of a code list given by name or by its Chinese title; an unknown one
// is kept for the catalogue to refuse with the list of names.
func codeListName(v string) string {
	if _, ok := schemas.List(v); ok || v == "" {
		return v
	}
	for _, n := range schemas.ListNames() {
		if l, _ := schemas.List(n); l.Title() == v {
			return n
		}
	}
	return v
}

// grading reads the arguments of gradeEntry.
func (c *inputCheck) grading(args map[string]any, g *catalog.Grading) {
	if raw, ok := args["items"].([]any); ok {
		if len(raw) > maxInputItems {
			c.add("items", "共 %d 项, 超过上限 %d 项", len(raw), maxInputItems)
		} else {
			g.Items = map[string]schemas.Grade{}
			for i, r := range raw {
				m, _ := r.(map[string]any)
				at := fmt.Sprintf("items[%d]", i)
				var f string
				c.text(m, "field", at+".field", maxShortText, func(v string) { f = v })
				if _, dup := g.Items[f]; dup {
					c.add(at+".field", "%s重复列出", schemas.Quote(f))
				}
				c.code(m, "grade", at+".grade", schemas.Grades, func(v string) { g.Items[f] = schemas.Grade(v) })
			}
		}
	}
	c.code(args, "override", "override", schemas.Grades, func(v string) {
		gr := schemas.Grade(v)
		g.Override = &gr
	})
	c.text(args, "reason", "reason", maxNoteText, func(v string) { g.Reason = v })
	m, ok := args["evidence"].(map[string]any)
	if !ok {
		return
	}
	ev := &catalog.Evidence{}
	c.code(m, "impactObject", "evidence.impactObject", schemas.ImpactObjects, func(v string) { ev.ImpactObject = v })
	c.code(m, "impactDegree", "evidence.impactDegree", schemas.ImpactDegrees, func(v string) { ev.ImpactDegree = v })
	c.list(m, "factors", "evidence.factors", c.codes(schemas.GradingFactors), func(v []string) { ev.Factors = v })
	c.text(m, "basis", "evidence.basis", maxNoteText, func(v string) { ev.Basis = v })
	g.Evidence = ev
}

// linked reads the fields common to BusinessItemInput and SceneInput.
func (c *inputCheck) linked(m map[string]any, code, name, dept, desc *string, retired *bool) {
	c.text(m, "code", "code", maxShortText, func(v string) { *code = v })
	c.text(m, "name", "name", maxShortText, func(v string) { *name = v })
	c.text(m, "department", "department", maxShortText, func(v string) { *dept = c.view.department(v) })
	c.text(m, "description", "description", maxNoteText, func(v string) { *desc = v })
	c.flag(m, "retired", func(v bool) { *retired = v })
}
