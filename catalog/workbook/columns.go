package workbook

import (
	"strconv"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The columns of the two data sheets are declared here as data: header, width, what the guide
// sheet says, how a value is written and how a cell is read back. Writing and reading walk the
// same declarations, so that what is exported is what is read.

// entryCol is a column of the entries sheet.
type entryCol struct {
	head     string
	field    string // the catalogue's name of the field, as its problems name it
	width    float64
	optional bool // a workbook may leave the column out
	readOnly bool // written for people, never read back
	// keep, for an optional column, copies its field from the entry's current version to an
	// imported one: a workbook without the column (one written before it existed) leaves the
	// setting as it is instead of clearing it.
	keep  func(from, to *catalog.Entry)
	guide string // what the guide sheet says of it
	get   func(x *exporter, e *catalog.Entry) any
	set   func(m *importer, c *cell, e *catalog.Entry)
}

// itemCol is a column of the items sheet; the first, the entry's code, links a row to its entry
// and is handled by the reader.
type itemCol struct {
	head     string
	field    string
	width    float64
	optional bool
	guide    string
	get      func(it *catalog.Item) any
	set      func(c *cell, it *catalog.Item)
}

// Headers the reader treats specially.
const (
	headCode  = "信息资源代码"
	headTable = "数据表名"
)

var entryCols = []entryCol{
	{head: headCode, field: "resource_code", width: 16, guide: "分类码/顺序码，如 0101/000001；新登记的目录留空，由系统生成",
		get: func(_ *exporter, e *catalog.Entry) any { return e.ResourceCode },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.ResourceCode = c.text }},
	{head: "信息资源名称", field: "name", width: 30, guide: "必填",
		get: func(_ *exporter, e *catalog.Entry) any { return e.Name },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.Name = c.text }},
	{head: "信息资源分类", field: "category_code", width: 26, guide: "资源分类的名称、代码或“类/项”路径，如 生态环境质量/大气环境质量",
		get: func(_ *exporter, e *catalog.Entry) any { return categoryPath(e.CategoryCode) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.CategoryCode = c.category() }},
	{head: "信息资源提供方", field: "provider_name", width: 22, guide: "必填",
		get: func(_ *exporter, e *catalog.Entry) any { return e.ProviderName },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.ProviderName = c.text }},
	{head: "提供方代码", field: "provider_code", width: 22, guide: "提供方的 18 位统一社会信用代码",
		get: func(_ *exporter, e *catalog.Entry) any { return e.ProviderCode },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.ProviderCode = c.text }},
	{head: "信息资源摘要", field: "abstract", width: 40, guide: "必填",
		get: func(_ *exporter, e *catalog.Entry) any { return e.Abstract },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.Abstract = c.text }},
	codeCol("信息资源格式", "format_type", schemas.FormatTypes, func(e *catalog.Entry) *string { return &e.FormatType }),
	codeCol("共享类型", "share_type", schemas.ShareTypes, func(e *catalog.Entry) *string { return &e.ShareType }),
	{head: "共享条件", field: "share_condition", width: 24, guide: "有条件共享时必填；不予共享时写明依据",
		get: func(_ *exporter, e *catalog.Entry) any { return e.ShareCondition },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.ShareCondition = c.text }},
	codeCol("共享方式", "share_mode", schemas.ShareModes, func(e *catalog.Entry) *string { return &e.ShareMode }),
	codeCol("开放类型", "open_type", schemas.OpenTypes, func(e *catalog.Entry) *string { return &e.OpenType }),
	{head: "开放条件", field: "open_condition", width: 24, guide: "有条件开放时写明条件",
		get: func(_ *exporter, e *catalog.Entry) any { return e.OpenCondition },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.OpenCondition = c.text }},
	{head: "共享开放法律依据", field: "sharing_basis", width: 24, guide: "不予共享，或共享、开放类型不按分级默认时必填",
		get: func(_ *exporter, e *catalog.Entry) any { return e.SharingBasis },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.SharingBasis = c.text }},
	{head: "更新周期", field: "update_cycle", width: 10, guide: "更新周期的名称，如 每日",
		get: func(_ *exporter, e *catalog.Entry) any { return nameOf(schemas.UpdateCycles, string(e.UpdateCycle)) },
		set: func(_ *importer, c *cell, e *catalog.Entry) {
			e.UpdateCycle = schemas.UpdateCycle(c.code(schemas.UpdateCycles))
		}},
	{head: "发布日期", field: "publish_date", width: 12, guide: "如 2025-06-01；发布时由系统填写",
		get: func(_ *exporter, e *catalog.Entry) any { return dateText(e.PublishDate) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.PublishDate = c.date() }},
	{head: "关联资源代码", field: "related_codes", width: 18, guide: "其他目录的信息资源代码，多个用顿号分隔",
		get: func(_ *exporter, e *catalog.Entry) any { return joinWords(e.RelatedCodes) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.RelatedCodes = c.words() }},
	{head: headTable, field: "table", width: 24, guide: "数据湖中的表名：英文字母开头，字母、数字、下划线",
		get: func(_ *exporter, e *catalog.Entry) any { return e.Table },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.Table = c.text }},
	{head: deptList, field: "department", width: 16, guide: "处室名称或代码，见工作表“" + SheetCodes + "”",
		get: func(x *exporter, e *catalog.Entry) any { return x.name(deptList, e.Department) },
		set: func(m *importer, c *cell, e *catalog.Entry) { e.Department = m.code(deptList, c.text) }},
	{head: "区县", field: "district", width: 14, guide: "区县名称或代码；市级目录填“市级”",
		get: func(_ *exporter, e *catalog.Entry) any { return districtName(e.District) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.District = c.district() }},
	codeCol("数据来源", "source_kind", schemas.SourceKinds, func(e *catalog.Entry) *string { return &e.SourceKind }),
	{head: "治理领域", field: "domains", width: 14, guide: "一个或多个治理领域，用顿号分隔，如 治水、治气",
		get: func(_ *exporter, e *catalog.Entry) any { return namesOf(schemas.Domains, e.Domains) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.Domains = c.codes(schemas.Domains) }},
	{head: "业务事项", field: "business_items", width: 28, guide: "该目录服务的业务事项（名称或代码，见工作表“" + SheetCodes + "”），每行一个或用分号分隔",
		get: func(x *exporter, e *catalog.Entry) any { return x.names(listBusiness, e.BusinessItems) },
		set: func(m *importer, c *cell, e *catalog.Entry) { e.BusinessItems = m.codesOf(listBusiness, c.texts()) }},
	{head: "应用场景", field: "scenes", width: 28, guide: "该目录服务的应用场景（一件事，名称或代码），每行一个或用分号分隔",
		get: func(x *exporter, e *catalog.Entry) any { return x.names(listScenes, e.Scenes) },
		set: func(m *importer, c *cell, e *catalog.Entry) { e.Scenes = m.codesOf(listScenes, c.texts()) }},
	{head: "涉密", field: "secret", width: 8, guide: "是 或 否；涉密目录的数据不归集入湖",
		get: func(_ *exporter, e *catalog.Entry) any { return flagText(e.Secret) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.Secret = c.flag() }},
	{head: "不予归集", field: "exempt", width: 10, guide: "是 或 否；经批准不予归集的目录填“是”",
		get: func(_ *exporter, e *catalog.Entry) any { return flagText(e.Exempt) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.Exempt = c.flag() }},
	{head: "不予归集理由", field: "exempt_reason", width: 24, guide: "不予归集为“是”时必填",
		get: func(_ *exporter, e *catalog.Entry) any { return e.ExemptReason },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.ExemptReason = c.text }},
	{head: "人工定级", field: "grade_override", width: 14, guide: "人工调高的目录分级（就高从严），不调整则留空",
		get: func(_ *exporter, e *catalog.Entry) any { return nameOf(schemas.Grades, string(e.GradeOverride)) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.GradeOverride = schemas.Grade(c.code(schemas.Grades)) }},
	{head: "校验规则", field: "rules", width: 28, guide: "每行数据须满足的规则，每行一条，写作“字段 运算符 字段或常量”，运算符为 < <= > >= = !=，如 sample_date <= report_date；文本常量加引号；不设则留空",
		get: func(_ *exporter, e *catalog.Entry) any { return textsOf(e.Rules) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.Rules = c.lines() }},
	{head: "写入方式", field: "write_mode", width: 12, guide: "追加（每次报送新增数据，留空同）或 按主键更新（按主键信息项替换已有数据，须有主键）",
		get: func(_ *exporter, e *catalog.Entry) any { return writeModeText(e.WriteMode) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.WriteMode = c.writeMode() }},
	{head: "拒收行数上限（%）", field: "max_rejected_percent", width: 12, guide: "一次报送中有误的行超过该比例（0 至 100）则整份不入库；留空按系统默认",
		get: func(_ *exporter, e *catalog.Entry) any { return percentCell(e.MaxRejectedPercent) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.MaxRejectedPercent = c.percent() }},
	{head: "分区列", field: "partitions", width: 20, guide: "数据文件的分区列，至多 3 个，用顿号分隔：字段标识，或日期字段的 year(字段)、month(字段)；不分区则留空",
		get: func(_ *exporter, e *catalog.Entry) any { return joinWords(e.Partitions) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.Partitions = c.words() }},
	{head: "目录分级（只读）", field: "grade", width: 14, optional: true, readOnly: true, guide: "信息项分级与人工定级中最高者，导出时填写，导入时不读",
		get: func(_ *exporter, e *catalog.Entry) any { return e.Grade().Name() }},
	{head: "目录状态", field: "status", width: 10, optional: true, guide: "该行版本的状态：草稿、待审核、已发布或已下线（已发布目录有未审结的变更时，导出的是变更稿）；导入不改变状态，新目录为草稿，已发布目录的修改成为变更申请",
		get: func(_ *exporter, e *catalog.Entry) any { return nameOf(schemas.EntryStatuses, e.Status) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.Status = c.code(schemas.EntryStatuses) }},
	{head: "版本", field: "revision", width: 8, optional: true, guide: "导出时的目录版本，用于发现导出后他人的修改；请勿改动",
		get: func(_ *exporter, e *catalog.Entry) any { return e.Revision },
		set: func(_ *importer, c *cell, e *catalog.Entry) { e.Revision = c.version() }},
	{head: "快照保留个数", field: "retain_snapshots", width: 12, optional: true,
		guide: "保留最新的多少个快照（含当前快照，0 至 " + strconv.Itoa(catalog.MaxRetainSnapshots) + "），更早的快照到期清理、不能再回溯查询；0 为不按个数限制；留空按系统默认；工作簿没有此列时，导入不改变该设置",
		get:   func(_ *exporter, e *catalog.Entry) any { return intCell(e.RetainSnapshots) },
		set: func(_ *importer, c *cell, e *catalog.Entry) {
			e.RetainSnapshots = c.setting(catalog.MaxRetainSnapshots, "不按个数限制")
		},
		keep: func(from, to *catalog.Entry) { to.RetainSnapshots = copyInt(from.RetainSnapshots) }},
	{head: "快照保留天数", field: "retain_days", width: 12, optional: true,
		guide: "快照被新数据替换后保留的天数（0 至 " + strconv.Itoa(catalog.MaxRetainDays) + "），期间仍可按时间回溯查询；0 为不按天数限制；留空按系统默认；工作簿没有此列时，导入不改变该设置",
		get:   func(_ *exporter, e *catalog.Entry) any { return intCell(e.RetainDays) },
		set: func(_ *importer, c *cell, e *catalog.Entry) {
			e.RetainDays = c.setting(catalog.MaxRetainDays, "不按天数限制")
		},
		keep: func(from, to *catalog.Entry) { to.RetainDays = copyInt(from.RetainDays) }},
}

// codeCol is a column holding one code of list, written as its Chinese name.
func codeCol(head, name string, list *schemas.CodeList, field func(*catalog.Entry) *string) entryCol {
	return entryCol{head: head, field: name, width: 14, guide: listTitle(list) + "的名称，可选：" + names(list),
		get: func(_ *exporter, e *catalog.Entry) any { return nameOf(list, *field(e)) },
		set: func(_ *importer, c *cell, e *catalog.Entry) { *field(e) = c.code(list) }}
}

var itemCols = []itemCol{
	{head: headCode, field: "resource_code", width: 16, guide: "所属目录的信息资源代码；新登记（代码留空）的目录填其数据表名"},
	{head: "信息项名称", field: "name", width: 20, guide: "必填，同一目录内不重复",
		get: func(it *catalog.Item) any { return it.Name },
		set: func(c *cell, it *catalog.Item) { it.Name = c.text }},
	{head: "字段标识", field: "field", width: 18, guide: "英文字母开头，字母、数字、下划线，同一目录内不重复",
		get: func(it *catalog.Item) any { return it.Field },
		set: func(c *cell, it *catalog.Item) { it.Field = c.text }},
	{head: "数据类型", field: "type", width: 10, guide: "数据类型的名称，可选：" + names(schemas.DataTypes),
		get: func(it *catalog.Item) any { return nameOf(schemas.DataTypes, string(it.Type)) },
		set: func(c *cell, it *catalog.Item) { it.Type = schemas.DataType(c.code(schemas.DataTypes)) }},
	{head: "长度", field: "length", width: 8, guide: "字符串的最大长度，0 或留空为不限",
		get: func(it *catalog.Item) any { return it.Length },
		set: func(c *cell, it *catalog.Item) { it.Length = c.count() }},
	{head: "必填", field: "required", width: 8, guide: "是 或 否",
		get: func(it *catalog.Item) any { return flagText(it.Required) },
		set: func(c *cell, it *catalog.Item) { it.Required = c.flag() }},
	{head: "主键", field: "is_key", width: 8, guide: "是 或 否",
		get: func(it *catalog.Item) any { return flagText(it.IsKey) },
		set: func(c *cell, it *catalog.Item) { it.IsKey = c.flag() }},
	{head: "分级", field: "grade", width: 14, guide: "数据分级的名称，如 一般数据2级",
		get: func(it *catalog.Item) any { return nameOf(schemas.Grades, string(it.Grade)) },
		set: func(c *cell, it *catalog.Item) { it.Grade = schemas.Grade(c.code(schemas.Grades)) }},
	{head: "个人信息类型", field: "pi_type", width: 14, guide: "不是个人信息则留空；可选：" + names(schemas.PITypes),
		get: func(it *catalog.Item) any { return nameOf(schemas.PITypes, it.PIType) },
		set: func(c *cell, it *catalog.Item) { it.PIType = c.code(schemas.PITypes) }},
	{head: "代码表", field: "code_list", width: 12, guide: "取值须属于的代码表，如 区县；不限则留空",
		get: func(it *catalog.Item) any { return codeListTitle(it.CodeList) },
		set: func(c *cell, it *catalog.Item) { it.CodeList = c.codeList() }},
	{head: "说明", field: "description", width: 30, guide: "信息项的说明",
		get: func(it *catalog.Item) any { return it.Description },
		set: func(c *cell, it *catalog.Item) { it.Description = c.text }},
	{head: "最小值", field: "min", width: 12, guide: "取值下限（含），仅整数、数值、日期、日期时间信息项可设；不限则留空",
		get: func(it *catalog.Item) any { return it.Min },
		set: func(c *cell, it *catalog.Item) { it.Min = c.bound(it.Type) }},
	{head: "最大值", field: "max", width: 12, guide: "取值上限（含），写法同最小值",
		get: func(it *catalog.Item) any { return it.Max },
		set: func(c *cell, it *catalog.Item) { it.Max = c.bound(it.Type) }},
	{head: "编号", field: "id", width: 8, optional: true, guide: "系统分配的信息项编号，用于识别改名的信息项；新信息项留空，请勿改动",
		get: func(it *catalog.Item) any { return it.ID },
		set: func(c *cell, it *catalog.Item) { it.ID = c.count() }},
}

// version reads an entry's modify index; an empty cell is 0 (a new entry).
func (c *cell) version() uint64 {
	if c.text == "" {
		return 0
	}
	n, err := strconv.ParseUint(c.text, 10, 64)
	if err != nil {
		c.bad("%s不是版本号", schemas.Quote(c.text))
	}
	return n
}
