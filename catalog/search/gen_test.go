package search

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The generated directory: names of the kind the bureau's directory holds, built from word
// lists, so that substrings of every length occur inside long compounds.
var (
	genPlaces = []string{"地表水", "饮用水源地", "长江干流", "嘉陵江", "乌江", "入河排污口", "工业园区", "重点排污单位",
		"机动车", "餐饮油烟", "建筑工地扬尘", "危险废物", "医疗废物", "污染地块", "自然保护区", "噪声功能区", "核技术利用单位",
		"城镇污水处理厂", "垃圾焚烧发电厂", "农村黑臭水体", "三峡库区消落带", "温室气体排放单位"}
	genAspects = []string{"国控断面水质", "市控断面水质", "空气质量", "在线监测", "自动监测", "污染物排放", "执法检查", "行政处罚",
		"排污许可", "转移联单", "应急预案", "风险评估", "环评审批", "生态修复", "碳排放核算", "辐射安全许可"}
	genKinds = []string{"监测数据", "台账", "清单", "名录", "记录", "年度报告", "统计表", "月报", "日均值", "小时值", "信息"}
	genItems = []string{"统一社会信用代码", "单位名称", "排污许可证编号", "监测时间", "站点编码", "站点名称", "PM2.5浓度",
		"PM10浓度", "臭氧8小时浓度", "化学需氧量COD", "氨氮", "总磷", "pH值", "溶解氧", "高锰酸盐指数", "NOx排放量",
		"VOCs浓度", "SO2排放浓度", "经度", "纬度", "流域名称", "河流名称", "断面名称", "处罚金额", "案件编号", "转移数量（吨）",
		"废物类别", "危险废物代码", "联系人姓名", "联系电话", "水质类别", "超标倍数", "排放口编号", "治理设施名称", "年度排放总量",
		"核素名称", "剂量率", "噪声等效声级Leq", "土壤镉含量", "地块编号"}
	genQualifiers   = []string{"按小时采集", "逐日汇总", "由企业自行申报", "现场核查后填报", "来自国家平台回流", "按季度更新"}
	genBusiness     = []string{"入河排污口问题处置", "危险废物转移联单问题处置", "环境信访投诉处理", "排污许可证核发", "建设项目环评审批"}
	genScenes       = []string{"长江生态环境保护一件事", "企业环境信用评价", "川渝跨界河流联防联控", "无废城市建设"}
	genProviders    = []string{"重庆市生态环境局", "重庆市生态环境监测中心", "重庆市生态环境保护综合行政执法总队", "重庆市固体废物管理服务中心"}
	genDepartments  = []catalog.Department{{Code: "AIR_DIV", Name: "大气环境处", Kind: catalog.DepartmentDivision}, {Code: "WATER_DIV", Name: "水生态环境处", Kind: catalog.DepartmentDivision}, {Code: "SOIL_DIV", Name: "土壤生态环境处", Kind: catalog.DepartmentDivision}, {Code: "CTR_MONITORING", Name: "生态环境监测中心", Kind: catalog.DepartmentCentre}}
	genCycles       = []schemas.UpdateCycle{schemas.Daily, "MONTHLY", "YEARLY", "REALTIME"}
	genStatuses     = []string{catalog.StatusDraft, catalog.StatusPublished, catalog.StatusPublished, catalog.StatusRetired}
	genShareTypes   = []string{"UNCONDITIONAL", "CONDITIONAL", "NOT_SHARED"}
	genDomains      = []string{"WATER", "AIR", "SOIL", "WASTE", "ENFORCEMENT"}
	genItemsPerEntr = 20
)

func genCategories() []string {
	var out []string
	for _, c := range schemas.Categories.Codes() {
		if len(c.ID) == 4 {
			out = append(out, c.ID)
		}
	}
	return out
}

// genEntry returns the i-th entry of the generated directory (the same for the same i and seed).
func genEntry(rng *rand.Rand, i int) *catalog.Entry {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	districts := schemas.AllDistricts()
	cats := genCategories()
	d := districts[rng.IntN(len(districts))]
	cat := cats[rng.IntN(len(cats))]
	name := pick(genPlaces) + pick(genAspects) + pick(genKinds)
	items := make([]catalog.Item, 0, genItemsPerEntr)
	used := map[string]bool{}
	for len(items) < genItemsPerEntr {
		n := pick(genItems)
		if used[n] {
			continue
		}
		used[n] = true
		items = append(items, catalog.Item{Name: n, Field: fmt.Sprintf("f%d", len(items)), Type: schemas.String,
			Grade: schemas.General1, Description: n + "，" + pick(genQualifiers)})
	}
	e := &catalog.Entry{
		ResourceCode: fmt.Sprintf("%s/%06d", cat, i), Table: fmt.Sprintf("t_%06d", i), Name: name, CategoryCode: cat,
		ProviderName: pick(genProviders), ProviderCode: "11500000MB1534567X",
		Abstract:   fmt.Sprintf("%s的%s，%s。", d.Name, name, pick(genQualifiers)),
		FormatType: "DATABASE", Items: catalog.ItemsOf(items...), ShareType: pick(genShareTypes), ShareMode: "TABLE", OpenType: "CONDITIONAL",
		OpenCondition: "申请后开放", UpdateCycle: genCycles[rng.IntN(len(genCycles))], Status: pick(genStatuses),
		Department: genDepartments[rng.IntN(len(genDepartments))].Code, District: d.Code, SourceKind: "LOCAL_SYSTEM",
		Domains: []string{pick(genDomains)},
	}
	if e.ShareType == "CONDITIONAL" {
		e.ShareCondition = "经审批后共享"
	}
	if rng.IntN(3) == 0 {
		e.BusinessItems = []string{pick(genBusiness)}
		e.Scenes = []string{pick(genScenes)}
	}
	return e
}

// newStore opens a catalogue in a fresh directory with the generated departments.
func newStore(t testing.TB, dir string) *catalog.Store {
	t.Helper()
	cfg := catalog.DefaultConfig()
	cfg.Dir = dir
	s, err := catalog.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	for _, d := range genDepartments {
		require.NoError(t, s.PutDepartment(context.Background(), d))
	}
	return s
}

// putGenerated writes entries [from, to) of the generated directory of the seed.
func putGenerated(t testing.TB, s *catalog.Store, seed uint64, from, to int) []*catalog.Entry {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, uint64(from)))
	var out []*catalog.Entry
	for i := from; i < to; i++ {
		e := genEntry(rng, i)
		require.NoError(t, s.PutEntry(context.Background(), e))
		out = append(out, e)
	}
	return out
}

// openIndex opens the index of dir on s, closed at the end of the test, and waits for it.
func openIndex(t testing.TB, s Source, dir string) *Index {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Dir = dir
	ix, err := Open(context.Background(), cfg, s, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = ix.Close() })
	require.NoError(t, ix.Wait(context.Background()))
	return ix
}
