package demo

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// gen makes deterministic synthetic rows. Names, phones and plates are invented from small lists
// and random digits; they belong to nobody.
type gen struct {
	r   *rand.Rand
	now time.Time
	ds  []schemas.District
}

func newGen(seed uint64, now time.Time) *gen {
	var ds []schemas.District
	for _, d := range schemas.AllDistricts() {
		if d.Kind != "city" {
			ds = append(ds, d)
		}
	}
	// Readings carry the bureau's wall-clock time (UTC+8), as the source systems write them.
	return &gen{r: rand.New(rand.NewPCG(seed, 0x5eed)), now: now.In(time.FixedZone("CST", 8*3600)), ds: ds}
}

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "马", "胡", "郭", "何"}
	given    = []string{"明", "华", "芳", "军", "静", "磊", "洋", "艳", "勇", "杰", "娟", "涛", "超", "霞", "平", "刚", "宇", "欣"}
	rivers   = []string{"长江", "嘉陵江", "乌江", "涪江", "綦江", "大宁河", "小江", "龙河", "御临河", "濑溪河"}
	classes  = []string{"I", "II", "II", "II", "III", "III", "IV", "V"}
	wastes   = [][2]string{{"HW08", "900-249-08"}, {"HW49", "900-041-49"}, {"HW17", "336-064-17"}, {"HW12", "264-011-12"}, {"HW18", "772-003-18"}, {"HW06", "900-402-06"}}
)

func (g *gen) district() schemas.District { return g.ds[g.r.IntN(len(g.ds))] }
func (g *gen) name() string {
	s := surnames[g.r.IntN(len(surnames))] + given[g.r.IntN(len(given))]
	if g.r.IntN(2) == 0 {
		s += given[g.r.IntN(len(given))]
	}
	return s
}
func (g *gen) mobile() string {
	return fmt.Sprintf("1%d%d%08d", 3+g.r.IntN(7), g.r.IntN(10), g.r.IntN(100000000))
}
func (g *gen) plate() string {
	const letters = "ABCDFGH"
	return fmt.Sprintf("渝%c%05d", letters[g.r.IntN(len(letters))], g.r.IntN(100000))
}
func (g *gen) creditCode() string { return fmt.Sprintf("91500%012dX", g.r.Int64N(1e12)) }
func (g *gen) f(lo, hi float64) string {
	return strconv.FormatFloat(lo+g.r.Float64()*(hi-lo), 'f', 2, 64)
}
func (g *gen) day(back int) string {
	return g.now.AddDate(0, 0, -g.r.IntN(back+1)).Format("2006-01-02")
}

// airStationRows: 24 stations × 72 hours of readings ending at the load time.
func airStationRows(g *gen) [][]string {
	var rows [][]string
	end := g.now.Truncate(time.Hour)
	for s := 0; s < 24; s++ {
		d := g.ds[s%len(g.ds)]
		code := fmt.Sprintf("CQ%s%02d", d.Code[2:], s)
		name := strings.TrimSuffix(d.ShortName, "区") + "国控站"
		for h := 72; h > 0; h-- {
			pm25 := 15 + g.r.Float64()*60
			rows = append(rows, []string{code, name, d.Code, end.Add(-time.Duration(h) * time.Hour).Format("2006-01-02 15:04:05"),
				strconv.FormatFloat(pm25, 'f', 1, 64), g.f(30, 120), g.f(20, 180), g.f(10, 70), g.f(2, 20), g.f(0.3, 1.6),
				strconv.Itoa(int(pm25 * 1.4))})
		}
	}
	return rows
}

// waterSectionRows: 30 sections × 30 days.
func waterSectionRows(g *gen) [][]string {
	var rows [][]string
	for s := 0; s < 30; s++ {
		d := g.ds[(s*7)%len(g.ds)]
		river := rivers[s%len(rivers)]
		for day := 30; day > 0; day-- {
			rows = append(rows, []string{fmt.Sprintf("WS%03d", s+1), river + d.ShortName + "断面", river, d.Code,
				g.now.AddDate(0, 0, -day).Format("2006-01-02"), classes[g.r.IntN(len(classes))],
				g.f(6.5, 8.5), g.f(4, 10), g.f(1, 6), g.f(0.05, 1.5), g.f(0.02, 0.3)})
		}
	}
	return rows
}

// hazardousManifestRows: 600 transfer manifests over the last 60 days.
func hazardousManifestRows(g *gen) [][]string {
	var rows [][]string
	for i := 0; i < 600; i++ {
		d := g.district()
		w := wastes[g.r.IntN(len(wastes))]
		rows = append(rows, []string{fmt.Sprintf("CQ%s%06d", g.now.Format("2006"), i+1),
			fmt.Sprintf("重庆%s示例化工有限公司%d厂", d.ShortName, g.r.IntN(9)+1), g.creditCode(), d.Code, w[0], w[1],
			g.f(0.5, 30), "重庆示例环保处置有限公司", g.plate(), g.name(), g.mobile(), g.day(60)})
	}
	return rows
}

// genericRows fills any entry from its items' types, code lists and personal-information types.
func genericRows(g *gen, items []catalog.Item, n int) [][]string {
	rows := make([][]string, n)
	for i := range rows {
		row := make([]string, len(items))
		for j, it := range items {
			row[j] = g.value(it, i)
		}
		rows[i] = row
	}
	return rows
}

func (g *gen) value(it catalog.Item, i int) string {
	switch {
	case it.CodeList == "districts":
		return g.district().Code
	case it.PIType == "CN_NAME":
		return g.name()
	case it.PIType == "MOBILE":
		return g.mobile()
	case it.PIType == "PLATE":
		return g.plate()
	case strings.Contains(it.Field, "credit_code"):
		return g.creditCode()
	case it.Field == "waste_category":
		return fmt.Sprintf("HW%02d", i+1)
	}
	switch it.Type {
	case schemas.Int:
		return strconv.Itoa(g.r.IntN(500))
	case schemas.Float:
		return g.f(0, 1000)
	case schemas.Bool:
		return []string{"是", "否"}[g.r.IntN(2)]
	case schemas.Date:
		return g.day(90)
	case schemas.Timestamp:
		return g.now.Add(-time.Duration(g.r.IntN(72*60)) * time.Minute).Format("2006-01-02 15:04:05")
	}
	s := it.Name + "示例" + strconv.Itoa(g.r.IntN(100))
	if it.IsKey {
		s = fmt.Sprintf("%s-%05d", strings.ToUpper(it.Field[:min(3, len(it.Field))]), i+1)
	}
	if it.Length > 0 && len([]rune(s)) > it.Length {
		s = string([]rune(s)[:it.Length])
	}
	return s
}
