package schemas

import "strings"

// District is one county-level division of Chongqing (or a functional zone, or the city level).
type District struct {
	Code      string // 6-digit GB/T 2260 code; functional zones carry codes of the project's own
	Name      string
	ShortName string
	Kind      string // district, county, autonomous_county, functional_zone, city
}

// CityCode is the code used for city-level (市级) entries.
const CityCode = "500000"

// IsZone reports whether the division is a functional zone rather than an administrative one.
func (d District) IsZone() bool { return d.Kind == "functional_zone" }

// AllDistricts returns every division of the list, city level included, in list order.
func AllDistricts() []District {
	var out []District
	for _, c := range Districts.Codes() {
		out = append(out, District{Code: c.ID, Name: c.Name, ShortName: c.Extra["short_name"], Kind: c.Extra["kind"]})
	}
	return out
}

// districtIndex maps every code, full and short name, and the bureau's aliases for zones, to the
// division; lookups sit on the hot path of every submitted row.
var districtIndex = func() map[string]District {
	m := map[string]District{}
	for _, d := range AllDistricts() {
		m[d.Code], m[d.Name], m[d.ShortName] = d, d, d
	}
	for alias, code := range map[string]string{"重庆高新区": "500191", "万盛区": "500192", "万盛": "500192"} {
		m[alias] = m[code]
	}
	return m
}()

// LookupDistrict finds a division by code, full name or short name; blanks inside the text (as
// in "大渡 口区", a line break in a printed table) are ignored.
func LookupDistrict(s string) (District, bool) {
	if d, ok := districtIndex[s]; ok {
		return d, true
	}
	d, ok := districtIndex[strings.Join(strings.Fields(s), "")]
	return d, ok
}
