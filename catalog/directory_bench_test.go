package catalog

import (
	"testing"

	"github.com/cqeco/ecolake/schemas"
)

// BenchmarkDirectory100k measures the directory list over a province-size directory of 20-item
// entries: a first page, a filtered page, a page deep in the list, and the total counts.
func BenchmarkDirectory100k(b *testing.B) {
	depts := []string{"AIR_DIV", "WATER_DIV", "SOIL_DIV", "WASTE_DIV"}
	districts := []string{schemas.CityCode, "500101", "500102", "500103", "500104"}
	s := benchStore(b, 100_000, 20, func(i int, e *Entry) {
		e.Department = depts[i%len(depts)]
		e.District = districts[i%len(districts)]
		if i%3 == 0 {
			e.Status = StatusPublished
		}
	})
	v := s.View()
	admin := &Principal{ID: "a", Role: RoleAdmin, Clearance: schemas.Core}
	wz := &Principal{ID: "wz", Role: RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}}
	cases := []struct {
		name  string
		p     *Principal
		f     DirectoryFilter
		after string
		count bool
	}{
		{"page/none", admin, DirectoryFilter{}, "", false},
		{"page/district+status", admin, DirectoryFilter{District: "500102", Status: StatusPublished}, "", false},
		{"page/deep", admin, DirectoryFilter{Department: "WATER_DIV"}, "0101/090000", false},
		{"page/district-account", wz, DirectoryFilter{}, "", false},
		{"page/domain", admin, DirectoryFilter{Domain: "AIR"}, "", false},
		{"count/none", admin, DirectoryFilter{}, "", true},
		{"count/department", admin, DirectoryFilter{Department: "WATER_DIV"}, "", true},
		{"count/district+status", admin, DirectoryFilter{District: "500102", Status: StatusPublished}, "", true},
		{"count/district-account", wz, DirectoryFilter{}, "", true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if c.count {
					if v.DirectoryCount(c.p, c.f) == 0 {
						b.Fatal("nothing counted")
					}
				} else if len(v.Directory(c.p, c.f, 50, c.after).Entries) == 0 {
					b.Fatal("empty page")
				}
			}
		})
	}
}
