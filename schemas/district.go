package schemas

import (
	"strings"
	"sync/atomic"
)

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
// division; it is built once per installed list, since lookups sit on the hot path of every
// submitted row. An alias whose division a replaced list lacks is left out.
func districtIndex() map[string]District {
	m := map[string]District{}
	for _, d := range AllDistricts() {
		for _, k := range []string{d.ShortName, d.Name, d.Code} {
			if k != "" {
				m[k] = d
			}
		}
	}
	for alias, code := range map[string]string{"重庆高新区": "500191", "万盛区": "500192", "万盛": "500192"} {
		if d, ok := m[code]; ok {
			if _, taken := m[alias]; !taken {
				m[alias] = d
			}
		}
	}
	return m
}

// LookupDistrict finds a division by code, full name or short name; blanks inside the text (as
// in "大渡 口区", a line break in a printed table) are ignored.
func LookupDistrict(s string) (District, bool) {
	idx := derived.Load().districts
	if d, ok := idx[s]; ok {
		return d, true
	}
	d, ok := idx[strings.Join(strings.Fields(s), "")]
	return d, ok
}

// derivedTables are look-up tables computed from the installed lists.
type derivedTables struct {
	ranks     map[Grade]int
	districts map[string]District
}

var derived atomic.Pointer[derivedTables]

func init() { derive() }

// derive rebuilds the look-up tables from the installed lists.
func derive() {
	derived.Store(&derivedTables{ranks: gradeRanks(), districts: districtIndex()})
}
