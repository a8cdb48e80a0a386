package ingest

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Personal information found in the values of a load: a text item without a pi_type whose
// sampled values are mostly of one kind (身份证号 with its check digit, 手机号, 固定电话, 车牌,
// 邮箱, 银行卡号 with its Luhn digit, Chinese names against a list of surnames) is proposed to
// the stewards as that pi_type, with the grade it implies. A proposal changes nothing: the steward
// accepts it by editing the item through the directory's review.

// piSample is how many non-empty values of an item are looked at; piShare the share of them that
// must be of one kind for a proposal.
const (
	piSample = 200
	piMin    = 20 // fewer values than this propose nothing
	piShare  = 0.8
)

// PIProposal is a pi_type proposed for an item from its values.
type PIProposal struct {
	Field, Name string // the item
	PIType      string // schemas.PITypes id
	Grade       schemas.Grade
	Matched     int // sampled values of that kind
	Sampled     int
}

// piKinds are the detectors, the more specific first: a value is of the first kind it matches.
var piKinds = []struct {
	id    string
	match func(string) bool
}{
	{"ID_CARD", isIDCard},
	{"BANK_CARD", isBankCard},
	{"MOBILE", isMobile},
	{"FIXED_PHONE", isFixedPhone},
	{"EMAIL", isEmail},
	{"PLATE", isPlate},
	{"CN_NAME", isChineseName},
}

// piGrade is the grade a pi_type implies (schemas.PIGrade).
func piGrade(piType string) schemas.Grade { return schemas.PIGrade(piType) }

// recordPI records the proposals of a load that ended well in the catalogue, where the stewards
// accept or dismiss them (catalog.ProposePI). The load is done by then: a failure to record is
// logged, never the load's, also when the request was cancelled meanwhile.
func (s *Service) recordPI(ctx context.Context, log *slog.Logger, res *Result) {
	if len(res.PIProposals) == 0 || res.Unchanged {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	props := make([]catalog.PIProposal, len(res.PIProposals))
	for i, pr := range res.PIProposals {
		props[i] = catalog.PIProposal{Field: pr.Field, Name: pr.Name, PIType: pr.PIType, Grade: pr.Grade, Matched: pr.Matched, Sampled: pr.Sampled}
	}
	if err := s.cat.ProposePI(ctx, res.Run.ID, res.Run.Entry, props); err != nil {
		log.Warn("personal-information proposals not recorded", "err", err)
	}
}

// piSampler keeps the first piSample non-empty values of each text item that has no pi_type.
type piSampler struct {
	items  []int      // plan item indexes sampled
	values [][]string // per sampled item
	open   int        // items whose sample is not full yet: none, and a row costs nothing
}

func newPISampler(p *plan) *piSampler {
	s := &piSampler{}
	for i, it := range p.items {
		if it.Type == schemas.String && it.PIType == "" && it.CodeList == "" {
			s.items = append(s.items, i)
		}
	}
	s.values = make([][]string, len(s.items))
	s.open = len(s.items)
	return s
}

// note samples an accepted row.
func (s *piSampler) note(vals []value) {
	if s.open == 0 {
		return
	}
	for k, i := range s.items {
		if v := vals[i]; !v.null && v.s != "" && len(s.values[k]) < piSample {
			if s.values[k] = append(s.values[k], strings.Clone(v.s)); len(s.values[k]) == piSample {
				s.open--
			}
		}
	}
}

// proposals are the pi_types the samples suggest.
func (s *piSampler) proposals(p *plan) []PIProposal {
	var out []PIProposal
	for k, i := range s.items {
		if pr, ok := detectPI(s.values[k]); ok {
			pr.Field, pr.Name = p.items[i].Field, p.items[i].Name
			out = append(out, pr)
		}
	}
	return out
}

// detectPI returns the pi_type that at least piShare of values are of, if any. Names need more:
// most of them distinct, since a column of a few repeated words (place names, 江北区) is no list
// of people.
func detectPI(values []string) (PIProposal, bool) {
	if len(values) < piMin {
		return PIProposal{}, false
	}
	counts := make([]int, len(piKinds))
	for _, v := range values {
		v = strings.TrimSpace(v)
		for k, kind := range piKinds {
			if kind.match(v) {
				counts[k]++
				break
			}
		}
	}
	for k, kind := range piKinds {
		if float64(counts[k]) < piShare*float64(len(values)) {
			continue
		}
		if kind.id == "CN_NAME" && distinct(values) < len(values)/2 {
			continue
		}
		return PIProposal{PIType: kind.id, Grade: piGrade(kind.id), Matched: counts[k], Sampled: len(values)}, true
	}
	return PIProposal{}, false
}

func distinct(values []string) int {
	seen := make(map[string]struct{}, len(values))
	for _, v := range values {
		seen[v] = struct{}{}
	}
	return len(seen)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isIDCard: 18 characters, 17 digits and a check character (ISO 7064 MOD 11-2), a province code
// and a real date of birth.
func isIDCard(s string) bool {
	if len(s) != 18 || !allDigits(s[:17]) || s[0] == '0' {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	if "10X98765432"[sum%11] != upper(s[17]) {
		return false
	}
	born, err := time.Parse("20060102", s[6:14])
	return err == nil && born.Year() >= 1900 && born.Year() <= 2100
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// isBankCard: 16 to 19 digits (blanks between groups allowed) of a card network's prefix (银联 62,
// Visa 4, Mastercard 5, 3 for JCB and others) with a valid Luhn digit.
func isBankCard(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	return len(s) >= 16 && len(s) <= 19 && allDigits(s) && strings.ContainsAny(s[:1], "3456") && luhn(s)
}

// luhn reports whether the digits s end in a valid Luhn check digit.
func luhn(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// isMobile: a mainland mobile number, 1[3-9] and nine digits, with +86 or 86 before it or not.
func isMobile(s string) bool {
	s = strings.NewReplacer(" ", "", "-", "").Replace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "+"), "86")
	return len(s) == 11 && allDigits(s) && s[0] == '1' && s[1] >= '3'
}

// isFixedPhone: an area code (0 and two or three digits, in brackets or not) and a seven- or
// eight-digit number, an extension after a dash allowed: 023-67781234, (023)67781234.
func isFixedPhone(s string) bool {
	s = strings.NewReplacer("（", "(", "）", ")", " ", "").Replace(s)
	area, rest, ok := strings.Cut(strings.TrimPrefix(s, "("), ")")
	if !ok {
		area, rest, ok = strings.Cut(s, "-")
	}
	if !ok || len(area) < 3 || len(area) > 4 || area[0] != '0' || !allDigits(area) {
		return false
	}
	number, ext, _ := strings.Cut(rest, "-")
	return (len(number) == 7 || len(number) == 8) && allDigits(number) && number[0] != '0' &&
		(ext == "" || (len(ext) <= 6 && allDigits(ext)))
}

// isEmail: a local part and a domain with a dot, nothing else.
func isEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.ContainsAny(domain, "@ ") || strings.ContainsAny(local, " ") {
		return false
	}
	dot := strings.LastIndexByte(domain, '.')
	return dot > 0 && len(domain)-dot-1 >= 2
}

// plateProvinces are the first characters of mainland plates.
const plateProvinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

// isPlate: a province character, a letter, then five characters (six for new-energy plates),
// letters or digits, a separator dot allowed: 渝A12345, 渝A·D12345.
func isPlate(s string) bool {
	s = strings.NewReplacer("·", "", "•", "", " ", "", "-", "").Replace(s)
	r, n := utf8.DecodeRuneInString(s)
	if !strings.ContainsRune(plateProvinces, r) {
		return false
	}
	rest := strings.ToUpper(s[n:])
	if len(rest) != 6 && len(rest) != 7 || rest[0] < 'A' || rest[0] > 'Z' {
		return false
	}
	digits := 0
	for i := 1; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'A' && c <= 'Z' && c != 'I' && c != 'O':
		default:
			return false
		}
	}
	return digits >= 3
}

// surnames are common Chinese surnames, single and compound.
var surnames = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝" {
		m[string(r)] = true
	}
	for _, s := range []string{"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文", "夏侯", "轩辕", "司徒", "端木"} {
		m[s] = true
	}
	return m
}()

// nameSuffixes end words that look like names but name places and bodies: 江北区, 高新站.
const nameSuffixes = "区县市镇乡村街站局厅处科院所厂司店馆场园湖河江山路桥段井号室组队部委会点线坪坝沟湾嘴垭岭溪洞寺塘"

// isChineseName: two to four ideographs beginning with a surname, not ending like a place or a
// body, with a middle dot allowed for names of ethnic minorities.
func isChineseName(s string) bool {
	s = strings.ReplaceAll(s, "·", "")
	n := utf8.RuneCountInString(s)
	if n < 2 || n > 4 {
		return false
	}
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	last, _ := utf8.DecodeLastRuneInString(s)
	if strings.ContainsRune(nameSuffixes, last) {
		return false
	}
	first, size := utf8.DecodeRuneInString(s)
	if surnames[string(first)] {
		return true
	}
	second, _ := utf8.DecodeRuneInString(s[size:])
	return n >= 3 && surnames[string(first)+string(second)]
}
