package ingest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Synthetic values of each kind, and of the columns districts send that are not personal
// information, for the detectors' precision and recall.

func genIDCard(r *rand.Rand) string {
	areas := []string{"500101", "500103", "500112", "510104", "110105"}
	birth := fmt.Sprintf("%04d%02d%02d", 1940+r.IntN(80), 1+r.IntN(12), 1+r.IntN(28))
	body := areas[r.IntN(len(areas))] + birth + fmt.Sprintf("%03d", r.IntN(1000))
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

func genBankCard(r *rand.Rand) string {
	n := 16 + r.IntN(4)
	b := []byte("62")
	for len(b) < n-1 {
		b = append(b, byte('0'+r.IntN(10)))
	}
	for d := byte('0'); d <= '9'; d++ {
		if isBankCard(string(append(b, d))) {
			return string(append(b, d))
		}
	}
	panic("no Luhn digit")
}

func genDigits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

func genMobile(r *rand.Rand) string {
	return "1" + string(byte('3'+r.IntN(7))) + genDigits(r, 9)
}

func genFixedPhone(r *rand.Rand) string {
	return []string{"023-", "(023)", "028-", "010-"}[r.IntN(4)] + string(byte('2'+r.IntN(7))) + genDigits(r, 7)
}

func genEmail(r *rand.Rand) string {
	return fmt.Sprintf("user%d.%s@%s", r.IntN(100000), []string{"a", "bb", "x_y"}[r.IntN(3)], []string{"example.com", "test.cn", "mail.example.org"}[r.IntN(3)])
}

func genPlate(r *rand.Rand) string {
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	p := "渝" + string(letters[r.IntN(len(letters))])
	used := 0
	for range 5 {
		if used < 2 && r.IntN(4) == 0 { // a civilian plate has at most two letters after the first
			p += string(letters[r.IntN(len(letters))])
			used++
		} else {
			p += string(byte('0' + r.IntN(10)))
		}
	}
	return p
}

func genName(r *rand.Rand) string {
	const family = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
	const given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉晨宇轩浩然思雨欣怡"
	fam := []rune(family)
	giv := []rune(given)
	s := string(fam[r.IntN(len(fam))])
	if r.IntN(10) == 0 {
		s = []string{"欧阳", "司马", "上官", "诸葛"}[r.IntN(4)]
	}
	for range 1 + r.IntN(2) {
		s += string(giv[r.IntN(len(giv))])
	}
	return s
}

// Columns that are not personal information.
var notPI = map[string]func(r *rand.Rand) string{
	"station code": func(r *rand.Rand) string { return fmt.Sprintf("CQ%04d%02d", r.IntN(10000), r.IntN(100)) },
	"credit code":  func(r *rand.Rand) string { return "915001" + genDigits(r, 2) + "MA" + genDigits(r, 7) + "X" },
	"company": func(r *rand.Rand) string {
		return []string{"某化工", "某建材", "某钢铁", "某水泥"}[r.IntN(4)] + "有限公司"
	},
	"district": func(r *rand.Rand) string { return schemas.AllDistricts()[1+r.IntN(40)].Name },
	"station name": func(r *rand.Rand) string {
		return []string{"黄桷坪", "杨家坪", "沙坪坝", "高家花园", "唐家沱", "蔡家岗", "陈家湾"}[r.IntN(7)]
	},
	"number":    func(r *rand.Rand) string { return fmt.Sprintf("%d.%d", r.IntN(1000), r.IntN(10)) },
	"18 digits": func(r *rand.Rand) string { return "5" + genDigits(r, 17) },
	"16 digits": func(r *rand.Rand) string { return "6" + genDigits(r, 15) },
	"11 digits": func(r *rand.Rand) string { return "2" + genDigits(r, 10) },
	"date":      func(r *rand.Rand) string { return fmt.Sprintf("2024-%02d-%02d", 1+r.IntN(12), 1+r.IntN(28)) },
	"remark": func(r *rand.Rand) string {
		return []string{"正常", "设备维护", "数据缺失", "超标", "已复核"}[r.IntN(5)]
	},
	"pollutant": func(r *rand.Rand) string {
		return []string{"二氧化硫", "氮氧化物", "颗粒物", "化学需氧量", "氨氮"}[r.IntN(5)]
	},
	"outlet number": func(r *rand.Rand) string { return fmt.Sprintf("DW%03d", r.IntN(1000)) },
}

var piGen = map[string]func(r *rand.Rand) string{
	"ID_CARD": genIDCard, "BANK_CARD": genBankCard, "MOBILE": genMobile, "FIXED_PHONE": genFixedPhone,
	"EMAIL": genEmail, "PLATE": genPlate, "CN_NAME": genName,
}

// TestPIDetectionPrecisionRecall: over generated columns of every kind and of common columns
// that are not personal information, proposals are measured: every value of a kind is
// recognized as it, a column is proposed as its kind, and no other column is proposed.
func TestPIDetectionPrecisionRecall(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	column := func(gen func(*rand.Rand) string, noise float64) []string {
		vals := make([]string, piSample)
		for i := range vals {
			vals[i] = gen(r)
			if r.Float64() < noise {
				vals[i] = "不详" // what a district writes for a missing value
			}
		}
		return vals
	}
	const columns = 40
	tp, fp, fn := 0, 0, 0
	for kind, gen := range piGen {
		recognized := 0
		for v := range 500 {
			val := gen(r)
			for _, k := range piKinds {
				if k.match(val) {
					require.Equal(t, kind, k.id, "value %d %q", v, val)
					recognized++
					break
				}
			}
		}
		assert.Equal(t, 500, recognized, "%s: every generated value recognized", kind)
		for c := range columns {
			pr, ok := detectPI(column(gen, 0.1))
			switch {
			case ok && pr.PIType == kind:
				tp++
				assert.Equal(t, piGrade(kind), pr.Grade)
			case ok:
				fp++
				t.Errorf("%s column %d proposed as %s", kind, c, pr.PIType)
			default:
				fn++
				t.Errorf("%s column %d not proposed", kind, c)
			}
		}
	}
	for name, gen := range notPI {
		for c := range columns {
			if pr, ok := detectPI(column(gen, 0)); ok {
				fp++
				t.Errorf("%s column %d proposed as %s", name, c, pr.PIType)
			}
		}
	}
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	t.Logf("columns: precision %.3f, recall %.3f (%d of kinds, %d not personal information)", precision, recall, len(piGen)*columns, len(notPI)*columns)
	assert.GreaterOrEqual(t, precision, 0.99)
	assert.GreaterOrEqual(t, recall, 0.99)
}

// TestPIDetectorEdges: the checks behind each detector.
func TestPIDetectorEdges(t *testing.T) {
	id := genIDCard(rand.New(rand.NewPCG(3, 4)))
	assert.True(t, isIDCard(id))
	wrong := id[:17] + string("10X98765432"[(strings.IndexByte("10X98765432", id[17])+1)%11])
	assert.False(t, isIDCard(wrong), "a wrong check digit")
	assert.False(t, isIDCard("500101202413011234"), "month 13")
	card := genBankCard(rand.New(rand.NewPCG(5, 6)))
	assert.True(t, isBankCard(card[:4]+" "+card[4:8]+" "+card[8:]), "grouped by blanks")
	last := card[len(card)-1]
	assert.False(t, isBankCard(card[:len(card)-1]+string('0'+(last-'0'+1)%10)), "a wrong Luhn digit")
	assert.True(t, luhn("4111111111111111"), "the well-known test card")
	assert.False(t, luhn("4111111111111112"))
	one := "1" + card[1:len(card)-1]
	var valid string
	for d := byte('0'); d <= '9'; d++ {
		if luhn(one + string(d)) {
			valid = one + string(d)
		}
	}
	require.NotEmpty(t, valid)
	assert.False(t, isBankCard(valid), "a valid Luhn digit, but no card network starts with 1")
	assert.True(t, isMobile("+86 138 1234 5678"))
	assert.False(t, isMobile("12812345678"), "1 then 2 is no mobile number")
	assert.True(t, isFixedPhone("（023）67781234"))
	assert.True(t, isFixedPhone("023-6778123-801"))
	assert.False(t, isFixedPhone("23-67781234"))
	assert.True(t, isPlate("渝A·D12345"))
	assert.False(t, isPlate("渝AIOIOI"), "I and O are not used")
	assert.True(t, isChineseName("欧阳明华"))
	assert.False(t, isChineseName("江北区"))
	assert.False(t, isChineseName("王"), "one character")
	assert.True(t, isEmail("g.w@example.com"))
	assert.False(t, isEmail("g@w@example.com"))
}

// TestSubmitProposesPI: a load samples the text items without a pi_type and proposes what
// their values are; items with a pi_type, a code list or too few values propose nothing, and
// the entry is not changed.
func TestSubmitProposesPI(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(func(en *catalog.Entry) {
		its := en.Items.Slice()
		its = append(its, catalog.Item{Name: "联系电话", Field: "phone", Type: schemas.String, Grade: schemas.General1},
			catalog.Item{Name: "负责人", Field: "contact", Type: schemas.String, Grade: schemas.General1})
		en.Items = catalog.ItemsOf(its...)
	})
	r := rand.New(rand.NewPCG(5, 6))
	var b strings.Builder
	b.WriteString("站点编码,区县,监测日期,备注,联系电话,负责人\n")
	for i := range 300 {
		fmt.Fprintf(&b, "S%d,渝中区,2024-05-07,正常,%s,%s\n", i, genMobile(r), genName(r))
	}
	res, err := e.submit("报送.csv", b.String(), nil)
	require.NoError(t, err)
	require.Len(t, res.PIProposals, 2)
	assert.Equal(t, PIProposal{Field: "phone", Name: "联系电话", PIType: "MOBILE", Grade: schemas.General3, Matched: piSample, Sampled: piSample}, res.PIProposals[0])
	assert.Equal(t, "contact", res.PIProposals[1].Field)
	assert.Equal(t, "CN_NAME", res.PIProposals[1].PIType)
	assert.Contains(t, res.Summary(), "信息项“联系电话”（phone）的值疑似手机号（200 个样本中 200 个符合），建议标注为个人信息并定为一般数据3级")
	got, err := e.cat.View().Entry("0101/000001")
	require.NoError(t, err)
	it, _, _ := got.Items.Field("phone")
	assert.Empty(t, it.PIType, "a proposal changes nothing")
}
