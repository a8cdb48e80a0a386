package ingest

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

const profileHeader = "站点编码,区县,监测日期,PM2.5浓度（μg/m³）,是否超标,监测次数,采样时间,备注\n"

// profileRow is row i of the generated fixture of testEntry: every station distinct, districts
// in shares 10:6:2:1:1 of twenty, and each optional item null on its own period.
func profileRow(i int) []string {
	district := [20]string{"500103", "500103", "500103", "500103", "500103", "500103", "500103", "500103", "500103", "500103",
		"500105", "500105", "500105", "500105", "500105", "500105", "500101", "500101", "500112", "500113"}[i%20]
	row := []string{
		fmt.Sprintf("S%07d", i),
		district,
		time.Date(2024, 1, 1+i%366, 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
		strconv.FormatFloat(float64(i%1000)/10-20, 'f', 1, 64),
		[]string{"是", "否"}[i%2],
		strconv.Itoa(i*3 - 150_000),
		time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC).Format(time.DateTime),
		fmt.Sprintf("备注%d", i%500),
	}
	for col, every := range map[int]int{3: 7, 4: 11, 5: 13, 6: 17, 7: 3} {
		if i%every == 0 {
			row[col] = ""
		}
	}
	return row
}

// profileCSV is the fixture's rows from to to (exclusive) with one invalid row after them.
func profileCSV(from, to int) string {
	var b strings.Builder
	b.WriteString(profileHeader)
	for i := from; i < to; i++ {
		b.WriteString(strings.Join(profileRow(i), ","))
		b.WriteByte('\n')
	}
	b.WriteString("X0000000,500103,2024-01-01,缺测,是,1,2024-01-01 00:00:00,不入库\n") // rejected: not profiled
	return b.String()
}

func profileOf(t *testing.T, m *lake.Manifest, field string) lake.Profile {
	t.Helper()
	for _, p := range m.Profiles {
		if p.Field == field {
			return p
		}
	}
	t.Fatalf("no profile of %s", field)
	return lake.Profile{}
}

// TestProfileValues: a load's profile of a generated fixture, every figure checked against the
// fixture's own values.
func TestProfileValues(t *testing.T) {
	const n = 100_000
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	res, err := e.submit("profile.csv", profileCSV(0, n), nil)
	require.NoError(t, err)
	require.Equal(t, int64(n), res.Run.RowsAccepted)
	m := e.currentManifest()
	require.Len(t, m.Profiles, 8, "one profile per item, in item order")

	// The expected figures, from the fixture's values.
	nulls := make([]int64, 8)
	distinct := make([]map[string]bool, 8)
	for c := range distinct {
		distinct[c] = map[string]bool{}
	}
	minF, maxF := math.Inf(1), math.Inf(-1)
	minI, maxI := int64(math.MaxInt64), int64(math.MinInt64)
	var minS, maxS string
	counts := map[string]int64{}
	for i := range n {
		row := profileRow(i)
		for c, v := range row {
			if v == "" {
				nulls[c]++
				continue
			}
			distinct[c][v] = true
		}
		counts[row[1]]++
		if f, err := strconv.ParseFloat(row[3], 64); row[3] != "" && err == nil {
			minF, maxF = min(minF, f), max(maxF, f)
		}
		if x, err := strconv.ParseInt(row[5], 10, 64); row[5] != "" && err == nil {
			minI, maxI = min(minI, x), max(maxI, x)
		}
		if r := row[7]; r != "" {
			if minS == "" || r < minS {
				minS = r
			}
			if r > maxS {
				maxS = r
			}
		}
	}

	tests := []struct {
		field    string
		min, max string
	}{
		{"station_code", "S0000000", fmt.Sprintf("S%07d", n-1)},
		{"district", "500101", "500113"},
		{"sample_date", "2024-01-01", "2024-12-31"},
		{"pm25", strconv.FormatFloat(minF, 'g', -1, 64), strconv.FormatFloat(maxF, 'g', -1, 64)},
		{"exceeded", "", ""}, // BOOL has no order
		{"samples", strconv.FormatInt(minI, 10), strconv.FormatInt(maxI, 10)},
		{"measured_at", "2024-01-01 00:00:01", time.Date(2024, 1, 1, 0, 0, n-1, 0, time.UTC).Format(time.DateTime)},
		{"remark", minS, maxS},
	}
	for c, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			p := profileOf(t, m, tt.field)
			assert.Equal(t, int64(n), p.Rows)
			assert.Equal(t, nulls[c], p.Nulls, "nulls")
			assert.Equal(t, tt.min, p.Min, "min")
			assert.Equal(t, tt.max, p.Max, "max")
			d := float64(len(distinct[c]))
			assert.InDelta(t, d, float64(p.Distinct), math.Max(1, 0.02*d), "distinct estimate within 2%% of %v", d)
			assert.Zero(t, p.Stale)
			assert.False(t, p.Approximate)
		})
	}
	assert.Equal(t, 100_000, len(distinct[0]), "the fixture has 100k distinct stations")

	district := profileOf(t, m, "district")
	assert.Equal(t, []lake.CodeCount{{Value: "500103", Count: n / 2}, {Value: "500105", Count: n * 6 / 20},
		{Value: "500101", Count: n / 10}, {Value: "500112", Count: n / 20}, {Value: "500113", Count: n / 20}},
		district.Top(10), "most frequent first, ties by code")
	for code, count := range counts {
		assert.Contains(t, district.Codes, lake.CodeCount{Value: code, Count: count})
	}
	assert.Empty(t, profileOf(t, m, "station_code").Codes, "only items with a code list count codes")
}

// TestProfileMergesAppends: two appends carry the profile one load of both files has, sketch
// bytes included; an append on a parent whose manifest predates profiles reads its files.
func TestProfileMergesAppends(t *testing.T) {
	const half = 20_000
	whole := newEnv(t, DefaultConfig())
	whole.putEntry(nil)
	_, err := whole.submit("both.csv", profileCSV(0, 2*half), nil)
	require.NoError(t, err)
	want := whole.currentManifest().Profiles

	tests := []struct {
		name   string
		legacy bool // the first snapshot's manifest is rewritten without profiles
	}{
		{"parent with profile", false},
		{"parent written before profiles", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, DefaultConfig())
			e.putEntry(nil)
			_, err := e.submit("a.csv", profileCSV(0, half), nil)
			require.NoError(t, err)
			if tt.legacy {
				m := e.currentManifest()
				m.Profiles = nil
				_, err := lake.WriteManifest(context.Background(), e.bucket, m)
				require.NoError(t, err)
				require.Empty(t, e.currentManifest().Profiles, "an old manifest reads")
			}
			_, err = e.submit("b.csv", profileCSV(half, 2*half), nil)
			require.NoError(t, err)
			assert.Equal(t, want, e.currentManifest().Profiles)
		})
	}
}

// TestProfileReplacements: a replacement's profile is the new rows'; a district's replacement
// that takes out rows counts them as stale until they are more than half the snapshot, when the
// kept rows are read and the profile is exactly that of the rows the snapshot holds.
func TestProfileReplacements(t *testing.T) {
	head := "站点编码,区县,数值\n"
	tests := []struct {
		name    string
		parent  string // loaded city-wide first
		replace string // by 万州区, Replace
		stale   int64
		want    string // the rows whose one load has the profile wanted; "" when stale
	}{
		{"nothing of the district's to take out", "A1,江北区,1\nA2,渝中区,2\n", "W1,万州区,7\n", 0,
			"A1,江北区,1\nA2,渝中区,2\nW1,万州区,7\n"},
		{"a few rows taken out: stale", "A1,江北区,1\nA2,渝中区,2\nA3,江北区,3\nW0,万州区,-5\n", "W1,万州区,7\n", 1, ""},
		{"most rows taken out: read again", "A1,江北区,1\nW0,万州区,-5\nW2,万州区,50\nW3,万州区,60\n", "W1,万州区,7\n", 0,
			"A1,江北区,1\nW1,万州区,7\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, DefaultConfig())
			e.putEntry(matrixEntry(cityWithDistrict))
			wz := e.putWanzhou()
			_, err := e.submit("存量.csv", head+tt.parent, nil)
			require.NoError(t, err)
			parent := e.currentManifest()
			_, err = e.submit("万州.csv", head+tt.replace, func(s *Submission) { s.Principal, s.Replace = wz, true })
			require.NoError(t, err)
			m := e.currentManifest()
			for _, p := range m.Profiles {
				assert.Equal(t, tt.stale, p.Stale, p.Field)
				assert.Equal(t, m.Rows, p.Rows-p.Stale, "%s: the snapshot's rows and the stale ones", p.Field)
			}
			if tt.want == "" {
				// Stale: the parent's figures with the new row's, bounds enclosing the snapshot's.
				v := profileOf(t, m, "value")
				assert.Equal(t, profileOf(t, parent, "value").Rows+1, v.Rows)
				assert.Equal(t, "-5", v.Min, "the row taken out is still counted")
				assert.Equal(t, "7", v.Max)
				return
			}
			fresh := newEnv(t, DefaultConfig())
			fresh.putEntry(matrixEntry(cityWithDistrict))
			_, err = fresh.submit("one.csv", head+tt.want, nil)
			require.NoError(t, err)
			assert.Equal(t, fresh.currentManifest().Profiles, m.Profiles)
		})
	}

	t.Run("city-wide replacement", func(t *testing.T) {
		e := newEnv(t, DefaultConfig())
		e.putEntry(nil)
		_, err := e.submit("a.csv", profileCSV(0, 1000), nil)
		require.NoError(t, err)
		_, err = e.submit("b.csv", profileCSV(5000, 5500), func(s *Submission) { s.Replace = true })
		require.NoError(t, err)
		fresh := newEnv(t, DefaultConfig())
		fresh.putEntry(nil)
		_, err = fresh.submit("b.csv", profileCSV(5000, 5500), nil)
		require.NoError(t, err)
		assert.Equal(t, fresh.currentManifest().Profiles, e.currentManifest().Profiles)
	})
}

// TestProfileColumns: the running profile of single columns, bounds in their text forms.
func TestProfileColumns(t *testing.T) {
	long := strings.Repeat("长", 70)
	day := func(s string) value {
		d, err := schemas.ParseDate(s)
		require.NoError(t, err)
		return value{t: d}
	}
	ts := func(s string) value {
		d, err := schemas.ParseTimestamp(s)
		require.NoError(t, err)
		return value{t: d}
	}
	tests := []struct {
		name     string
		item     catalog.Item
		vals     []value
		min, max string
		distinct uint64
	}{
		{"int", catalog.Item{Field: "x", Type: schemas.Int}, []value{{i: 5}, {i: -3}, {null: true}, {i: 5}}, "-3", "5", 2},
		{"float, -0 is 0", catalog.Item{Field: "x", Type: schemas.Float}, []value{{f: 0.5}, {f: math.Copysign(0, -1)}, {f: 0}}, "0", "0.5", 2},
		{"date", catalog.Item{Field: "x", Type: schemas.Date}, []value{day("1969-12-31"), day("2024-02-29")}, "1969-12-31", "2024-02-29", 2},
		{"timestamp", catalog.Item{Field: "x", Type: schemas.Timestamp}, []value{ts("2024-05-01 08:00:00"), ts("2024-05-01 07:59:59.25")},
			"2024-05-01 07:59:59.25", "2024-05-01 08:00:00", 2},
		{"text clipped to 64 characters", catalog.Item{Field: "x", Type: schemas.String}, []value{{s: long}, {s: "B"}},
			"B", strings.Repeat("长", 64), 2},
		{"bool", catalog.Item{Field: "x", Type: schemas.Bool}, []value{{b: true}, {b: false}, {b: true}}, "", "", 2},
		{"nothing but nulls", catalog.Item{Field: "x", Type: schemas.Int}, []value{{null: true}}, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProfiler([]catalog.Item{tt.item})
			for _, v := range tt.vals {
				p.note([]value{v})
			}
			got, err := p.profiles()
			require.NoError(t, err)
			assert.Equal(t, tt.min, got[0].Min)
			assert.Equal(t, tt.max, got[0].Max)
			assert.Equal(t, tt.distinct, got[0].Distinct)
			assert.Equal(t, int64(len(tt.vals)), got[0].Rows)
		})
	}
}

// TestProfileCodesBound: codes past lake.MaxProfileCodes are counted together, and still in the
// estimate and the bounds; merging two such profiles keeps the bound.
func TestProfileCodesBound(t *testing.T) {
	item := catalog.Item{Field: "code", Type: schemas.String, CodeList: "districts"}
	p := newProfiler([]catalog.Item{item})
	for i := range lake.MaxProfileCodes + 10 {
		p.note([]value{{s: fmt.Sprintf("C%05d", i)}})
	}
	got, err := p.profiles()
	require.NoError(t, err)
	sp := got[0]
	assert.Len(t, sp.Codes, lake.MaxProfileCodes)
	assert.Equal(t, int64(10), sp.Others)
	assert.Equal(t, "C00000", sp.Min)
	assert.Equal(t, fmt.Sprintf("C%05d", lake.MaxProfileCodes+9), sp.Max)
	assert.InDelta(t, lake.MaxProfileCodes+10, float64(sp.Distinct), 0.02*(lake.MaxProfileCodes+10))

	q := p.fresh()
	require.NoError(t, q.merge(0, &sp))
	require.NoError(t, q.merge(0, &sp))
	twice, err := q.profiles()
	require.NoError(t, err)
	assert.Len(t, twice[0].Codes, lake.MaxProfileCodes)
	assert.Equal(t, int64(20), twice[0].Others)
	assert.Equal(t, 2*sp.Rows, twice[0].Rows)
	assert.Equal(t, sp.Distinct, twice[0].Distinct, "the same values twice are as many distinct ones")
}

// TestProfileRefusesBadSketch: a stored sketch that is not one is an error, never a panic.
func TestProfileRefusesBadSketch(t *testing.T) {
	p := newProfiler([]catalog.Item{{Field: "x", Type: schemas.Int}})
	for _, bad := range [][]byte{{1, 2, 3}, {0x01, 0x00, 0x00, 0xff, 0xff}} {
		assert.Error(t, p.merge(0, &lake.Profile{Field: "x", Type: "INT", Rows: 1, Sketch: bad}))
	}
	assert.Error(t, p.merge(0, &lake.Profile{Field: "x", Type: "FLOAT"}), "another type")
}

// BenchmarkProfileNote is the profile's cost per accepted row of the benchmark's file.
func BenchmarkProfileNote(b *testing.B) {
	en := testEntry()
	p, err := newPlan("bench.csv", en, strings.Split(strings.TrimSpace(profileHeader), ","), EncodingUTF8)
	require.NoError(b, err)
	lines := strings.Split(strings.TrimSpace(benchCSV(10_000)), "\n")[1:]
	var rows [][]value
	for n, l := range lines {
		vals := make([]value, en.Items.Len())
		if len(p.row(strings.Split(l, ","), n+2, vals, nil)) == 0 {
			rows = append(rows, vals)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	prof := newProfiler(p.items)
	for i := 0; b.Loop(); i++ {
		prof.note(rows[i%len(rows)])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/row")
}
