package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// The write matrix: which rows of which submission land, for every role, kind of entry and
// write mode. The parent snapshot holds P1 万州区, P2 江北区, P3 渝中区 and P4 without a district;
// the submission N1 万州区, N2 渝中区 (by code), N3 江北区 and N4 without a district.

const (
	matrixParent = "站点编码,区县,数值\nP1,万州区,1\nP2,江北区,2\nP3,渝中区,3\nP4,,4\n"
	matrixNew    = "站点编码,区县,数值\nN1,万州区,11\nN2,500103,12\nN3,江北区,13\nN4,,14\n"
	// The same files for an entry without a district item.
	matrixParentNoDistrict = "站点编码,数值\nP1,1\nP2,2\nP3,3\nP4,4\n"
	matrixNewNoDistrict    = "站点编码,数值\nN1,11\nN2,12\nN3,13\nN4,14\n"
)

// matrixRows are the rows as read back: station, district, value.
var matrixRows = map[string]string{
	"P1": "P1,500101,1", "P2": "P2,500105,2", "P3": "P3,500103,3", "P4": "P4,<nil>,4",
	"N1": "N1,500101,11", "N2": "N2,500103,12", "N3": "N3,500105,13", "N4": "N4,<nil>,14",
}

type entryKind int

const (
	cityWithDistrict entryKind = iota
	cityWithoutDistrict
	ownDistrict   // 万州区's own entry
	otherDistrict // 江北区's entry
)

func (k entryKind) String() string {
	return [...]string{"city entry with district item", "city entry without district item",
		"万州区's own entry", "江北区's entry"}[k]
}

// matrixEntry is a small entry of the given kind; its district item is optional, so that rows
// without a district reach the scope check.
func matrixEntry(k entryKind) func(*catalog.Entry) {
	return func(e *catalog.Entry) {
		e.Items = catalog.ItemsOf([]catalog.Item{
			{Name: "站点编码", Field: "station_code", Type: schemas.String, Required: true, IsKey: true, Grade: schemas.General1},
			{Name: "区县", Field: "district", Type: schemas.String, Grade: schemas.General1, CodeList: "districts"},
			{Name: "数值", Field: "value", Type: schemas.Int, Grade: schemas.General1},
		}...)
		switch k {
		case cityWithoutDistrict:
			e.Items = catalog.ItemsOf(slices.Delete(e.Items.Slice(), 1, 2)...)
		case ownDistrict:
			e.District = "500101"
		case otherDistrict:
			e.District = "500105"
		}
	}
}

// matrixPrincipals are one principal of every role, and a district account of two districts.
var matrixPrincipals = []catalog.Principal{
	{ID: "admin", Name: "系统管理员", Role: catalog.RoleAdmin},
	{ID: "steward", Name: "数据管理员", Role: catalog.RoleSteward},
	{ID: "reviewer", Name: "审核员", Role: catalog.RoleReviewer},
	{ID: "manager", Name: "局领导", Role: catalog.RoleManager},
	{ID: "analyst", Name: "分析员", Role: catalog.RoleAnalyst},
	{ID: "scene", Name: "应用场景", Role: catalog.RoleScene},
	{ID: "wanzhou", Name: "万州区生态环境局", Role: catalog.RoleDistrict, Districts: []string{"500101"}},
	{ID: "wz_yz", Name: "万州区、渝中区联合报送", Role: catalog.RoleDistrict, Districts: []string{"500101", "500103"}},
}

// outcome is what a (role, entry kind) may do.
type outcome int

const (
	notFound  outcome = iota // the entry does not exist for the principal
	forbidden                // it exists, but may not be loaded
	allRows                  // every row, and replacements city-wide
	oneScope                 // 万州区's rows only
	twoScope                 // 万州区's and 渝中区's rows only
)

// landing are the stations of the current snapshot after an append and after a replacement.
var landing = map[outcome][2][]string{
	allRows:  {{"N1", "N2", "N3", "N4", "P1", "P2", "P3", "P4"}, {"N1", "N2", "N3", "N4"}},
	oneScope: {{"N1", "P1", "P2", "P3", "P4"}, {"N1", "P2", "P3", "P4"}},
	twoScope: {{"N1", "N2", "P1", "P2", "P3", "P4"}, {"N1", "N2", "P2", "P4"}},
}

// outOfScope are the rejects of the submission under a scope: line, value, reason.
var outOfScope = map[outcome][][3]string{
	oneScope: {
		{"3", "500103", "区县“500103”不在本账号的报送范围（万州区）内"},
		{"4", "江北区", "区县“江北区”不在本账号的报送范围（万州区）内"},
		{"5", "", "区县为空，不在本账号的报送范围（万州区）内"},
	},
	twoScope: {
		{"4", "江北区", "区县“江北区”不在本账号的报送范围（万州区、渝中区）内"},
		{"5", "", "区县为空，不在本账号的报送范围（万州区、渝中区）内"},
	},
}

func TestWriteMatrix(t *testing.T) {
	staff := map[entryKind]outcome{cityWithDistrict: allRows, cityWithoutDistrict: allRows, ownDistrict: allRows, otherDistrict: allRows}
	readers := map[entryKind]outcome{cityWithDistrict: forbidden, cityWithoutDistrict: forbidden, ownDistrict: forbidden, otherDistrict: forbidden}
	want := map[string]map[entryKind]outcome{
		"admin": staff, "steward": staff,
		"reviewer": readers, "manager": readers, "analyst": readers, "scene": readers,
		"wanzhou": {cityWithDistrict: oneScope, cityWithoutDistrict: forbidden, ownDistrict: oneScope, otherDistrict: notFound},
		"wz_yz":   {cityWithDistrict: twoScope, cityWithoutDistrict: forbidden, ownDistrict: twoScope, otherDistrict: notFound},
	}
	for _, pr := range matrixPrincipals {
		for kind := cityWithDistrict; kind <= otherDistrict; kind++ {
			for _, replace := range []bool{false, true} {
				mode := map[bool]string{false: "append", true: "replace"}[replace]
				t.Run(fmt.Sprintf("%s/%s/%s", pr.ID, kind, mode), func(t *testing.T) {
					matrixCase(t, pr, kind, replace, want[pr.ID][kind])
				})
			}
		}
	}
}

func matrixCase(t *testing.T, pr catalog.Principal, kind entryKind, replace bool, out outcome) {
	ctx := context.Background()
	e := newEnv(t, DefaultConfig())
	pr.Clearance, pr.TokenHash = schemas.General2, catalog.HashToken("token-"+pr.ID)
	require.NoError(t, e.cat.PutPrincipal(ctx, pr))
	p := e.principal(pr.ID)
	e.putEntry(matrixEntry(kind))
	parentBody, newBody := matrixParent, matrixNew
	if kind == cityWithoutDistrict {
		parentBody, newBody = matrixParentNoDistrict, matrixNewNoDistrict
	}
	seed, err := e.submit("存量.csv", parentBody, nil)
	require.NoError(t, err)
	require.Equal(t, int64(4), seed.Snapshot.Rows)
	before := e.matrixRows(kind)

	district := ""
	if pr.ID == "wz_yz" {
		district = "万州区" // two districts: the submission names one
	}
	res, err := e.submit("报送.csv", newBody, func(s *Submission) {
		s.Principal, s.District, s.Replace = p, district, replace
	})
	switch out {
	case notFound, forbidden:
		if out == notFound {
			require.ErrorIs(t, err, catalog.ErrNotFound)
		} else {
			require.ErrorIs(t, err, ErrLoadForbidden)
			require.ErrorIs(t, err, schemas.ErrForbidden)
		}
		assert.Nil(t, res, "a refused submission begins no run")
		en, err := e.cat.View().Entry("0101/000001")
		require.NoError(t, err)
		assert.Equal(t, seed.Snapshot.ID, en.CurrentSnapshot, "a refused submission changes nothing")
		assert.Len(t, e.cat.View().Runs("0101/000001"), 1)
		assert.Equal(t, before, e.matrixRows(kind))
		return
	}
	require.NoError(t, err)
	require.NotNil(t, res.Snapshot)
	assert.Equal(t, pr.ID, res.Run.Principal)
	wantStations := landing[out][0]
	if replace {
		wantStations = landing[out][1]
	}
	var wantRows []string
	for _, st := range wantStations {
		r := matrixRows[st]
		if kind == cityWithoutDistrict {
			f := strings.Split(r, ",")
			r = f[0] + "," + f[2]
		}
		wantRows = append(wantRows, r)
	}
	assert.Equal(t, wantRows, e.matrixRows(kind), "exactly the allowed rows, other districts' rows unchanged")

	var rejects [][3]string
	for _, r := range res.Rejects {
		rejects = append(rejects, [3]string{fmt.Sprint(r.Row), r.Value, r.Reason})
		assert.Equal(t, "区县", r.Column)
		assert.Equal(t, "district", r.Field)
	}
	assert.Equal(t, outOfScope[out], rejects)
	assert.Equal(t, int64(len(outOfScope[out])), res.Run.RowsRejected)
	if len(rejects) > 0 {
		assert.Len(t, e.rejectsFile(res.Run.RejectedKey), len(rejects))
	}

	m, err := lake.ReadManifest(ctx, e.bucket, res.Snapshot.ManifestKey)
	require.NoError(t, err)
	if !replace {
		assert.Equal(t, "append", m.Summary["operation"])
		return
	}
	assert.Equal(t, "replace", m.Summary["operation"])
	switch out {
	case allRows:
		assert.NotContains(t, m.Summary, "replace_scope", "stewards replace city-wide")
		assert.Equal(t, "4", m.Summary["removed_rows"])
		assert.Equal(t, "0", m.Summary["kept_rows"])
	case oneScope:
		assert.Equal(t, "500101", m.Summary["replace_scope"])
		assert.Equal(t, "1", m.Summary["removed_rows"])
		assert.Equal(t, "3", m.Summary["kept_rows"])
	case twoScope:
		assert.Equal(t, "500101,500103", m.Summary["replace_scope"])
		assert.Equal(t, "2", m.Summary["removed_rows"])
		assert.Equal(t, "2", m.Summary["kept_rows"])
	}
}

// matrixRows reads the current snapshot of the matrix entry back with DuckDB: "station,district,
// value" (or "station,value" without a district item), ordered by station.
func (e *env) matrixRows(kind entryKind) []string {
	row := "station_code || ',' || coalesce(district, '<nil>') || ',' || coalesce(value::VARCHAR, '<nil>')"
	if kind == cityWithoutDistrict {
		row = "station_code || ',' || coalesce(value::VARCHAR, '<nil>')"
	}
	return e.query("0101/000001", "SELECT "+row+" FROM %s ORDER BY station_code")
}

// query runs a one-column text query over the entry's current snapshot; %s in q is replaced by
// the read_parquet of its files.
func (e *env) query(code, q string) []string {
	e.t.Helper()
	ctx := context.Background()
	paths := e.snapshotPaths(code)
	db, err := sql.Open("duckdb", "")
	require.NoError(e.t, err)
	defer db.Close()
	rs, err := db.QueryContext(ctx, fmt.Sprintf(q, "read_parquet(["+strings.Join(paths, ",")+"], union_by_name = true)"))
	require.NoError(e.t, err)
	defer rs.Close()
	var out []string
	for rs.Next() {
		var s string
		require.NoError(e.t, rs.Scan(&s))
		out = append(out, s)
	}
	require.NoError(e.t, rs.Err())
	return out
}

// TestSubmitDistrictOfSubmission: the submission's district is asked of the decision, and an
// account of one district submits for it without naming it.
func TestSubmitDistrictOfSubmission(t *testing.T) {
	ctx := context.Background()
	body := "站点编码,区县,数值\nN1,万州区,1\n"
	tests := []struct {
		name      string
		principal string
		district  string
		want      error
		text      string
		run       string
	}{
		{"one district, none named", "wanzhou", "", nil, "", "500101"},
		{"one district, its own named", "wanzhou", "万州区", nil, "", "500101"},
		{"one district, another named", "wanzhou", "江北区", ErrLoadForbidden, "账号 wanzhou 不能为区县“江北区”报送数据（可报送：万州区）", ""},
		{"two districts, none named", "wz_yz", "", ErrLoadForbidden, "账号 wz_yz 须指明报送区县（可报送：万州区、渝中区）", ""},
		{"two districts, one named", "wz_yz", "500101", nil, "", "500101"},
		{"unknown district", "wanzhou", "火星区", ErrInvalidSubmission, "火星区", ""},
		{"steward, none named", "steward", "", nil, "", ""},
		{"steward, any named", "steward", "万州区", nil, "", "500101"},
		{"no principal", "", "", ErrLoadForbidden, "未指明报送账号", ""},
		{"disabled principal", "disabled", "", catalog.ErrNotFound, "0101/000001", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, DefaultConfig())
			e.putEntry(matrixEntry(cityWithDistrict))
			var p *catalog.Principal
			for _, pr := range append(matrixPrincipals, catalog.Principal{ID: "disabled", Name: "已停用", Role: catalog.RoleSteward, Disabled: true}) {
				if pr.ID == tc.principal {
					pr.Clearance, pr.TokenHash = schemas.General2, catalog.HashToken("token-"+pr.ID)
					require.NoError(t, e.cat.PutPrincipal(ctx, pr))
					p = e.principal(pr.ID)
				}
			}
			res, err := e.submit("报送.csv", body, func(s *Submission) { s.Principal, s.District = p, tc.district })
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				assert.Contains(t, err.Error(), tc.text)
				assert.Nil(t, res)
				assert.Empty(t, e.cat.View().Runs("0101/000001"))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.run, res.Run.District)
			assert.Equal(t, int64(1), res.Run.RowsAccepted)
		})
	}
}

// TestMayLoad covers the refusals no role of today's decision produces, such as a load without
// the right to replace.
func TestMayLoad(t *testing.T) {
	p := &catalog.Principal{ID: "x", Name: "某账号"}
	e := testEntry()
	tests := []struct {
		name     string
		access   catalog.Access
		district string
		replace  bool
		text     string
	}{
		{"no load", catalog.Access{Exists: true}, "", false, "不能向目录 0101/000001（空气质量日报）报送数据"},
		{"append only", catalog.Access{Exists: true, Load: true, Modes: []string{catalog.WriteAppend}}, "", true, "不能以替换方式"},
		{"append only, appending", catalog.Access{Exists: true, Load: true, Modes: []string{catalog.WriteAppend}}, "", false, ""},
		{"operator", catalog.Access{Exists: true, Load: true, Modes: []string{catalog.WriteAppend, catalog.WriteReplace}}, "500105", true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := mayLoad(p, e, tc.access, tc.district, tc.replace)
			if tc.text == "" {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrLoadForbidden)
			assert.Contains(t, err.Error(), tc.text)
		})
	}
	err := mayLoad(catalog.Operator(), e, catalog.Access{}, "", false)
	assert.Contains(t, err.Error(), "本地运维", "the operator has no id: its name is shown")
}

// TestStewardForDistrictIsScoped: a steward's submission "for" a district carries only that
// district's rows, and its replacement replaces only that district's rows; naming no district
// replaces the whole table.
func TestStewardForDistrictIsScoped(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(matrixEntry(cityWithDistrict))
	steward := e.principal("yz_user")
	head := "站点编码,区县,数值\n"
	_, err := e.submit("全市.csv", head+"A1,万州区,1\nA2,江北区,2\n", func(s *Submission) { s.Principal = steward })
	require.NoError(t, err)

	res, err := e.submit("万州.csv", head+"B1,万州区,3\nB2,江北区,4\n", func(s *Submission) {
		s.Principal, s.District, s.Replace = steward, "万州区", true
	})
	require.NoError(t, err)
	assert.Equal(t, int64(1), res.Run.RowsRejected, "the 江北区 row of a submission for 万州区")
	require.Len(t, res.Rejects, 1)
	assert.Equal(t, "区县“江北区”不在本账号的报送范围（万州区）内", res.Rejects[0].Reason)
	assert.Equal(t, []string{"A2,500105,2", "B1,500101,3"}, e.matrixRows(cityWithDistrict), "江北区's row survives 万州区's replacement")

	_, err = e.submit("全市替换.csv", head+"C1,渝中区,5\n", func(s *Submission) { s.Principal, s.Replace = steward, true })
	require.NoError(t, err)
	assert.Equal(t, []string{"C1,500103,5"}, e.matrixRows(cityWithDistrict), "naming no district replaces the whole table")
}
