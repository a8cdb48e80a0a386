package query

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

func TestPrune(t *testing.T) {
	district := Column{Field: "district_code", Type: schemas.String, Codes: "districts"}
	count := Column{Field: "n", Type: schemas.Int}
	day := Column{Field: "day", Type: schemas.Date}
	files := []lake.DataFile{
		{Key: "p/yz", Rows: 5, Partition: map[string]string{"district_code": "500103"}},
		{Key: "p/jb", Rows: 5, Partition: map[string]string{"district_code": "500105"}},
		{Key: "p/null", Rows: 5, Partition: map[string]string{"district_code": lake.NullPartition}},
		{Key: "b/low", Rows: 5, Bounds: map[string]lake.Bound{"district_code": {Min: "500101", Max: "500104"}, "n": {Min: "1", Max: "9"}}},
		{Key: "b/high", Rows: 5, Bounds: map[string]lake.Bound{"district_code": {Min: "500110", Max: "500120"}, "n": {Min: "10", Max: "100"}}},
		{Key: "b/nulls", Rows: 5, Bounds: map[string]lake.Bound{"district_code": {Nulls: 5}}},
		{Key: "old", Rows: 5}, // neither: always read
	}
	eq := func(c Column, v any) *Cond { return &Cond{Column: c, Op: OpEq, Value: v} }
	keys := func(fs []lake.DataFile) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Key)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		where *Cond
		want  []string
	}{
		{"no filter", nil, keys(files)},
		{"district eq", eq(district, "500103"), []string{"p/yz", "b/low", "old"}},
		{"district in", &Cond{Column: district, Op: OpIn, Values: []any{"500105", "500115"}}, []string{"p/jb", "b/high", "old"}},
		{"and narrows", &Cond{And: []*Cond{eq(district, "500103"), eq(count, int64(50))}}, []string{"p/yz", "old"}},
		{"int bounds compare as numbers", eq(count, int64(9)), []string{"p/yz", "p/jb", "p/null", "b/low", "b/nulls", "old"}},
		{"or prunes nothing", &Cond{Or: []*Cond{eq(district, "500103"), eq(district, "500105")}}, keys(files)},
		{"not prunes nothing", &Cond{Not: true, And: []*Cond{eq(district, "500103")}}, keys(files)},
		{"ranges prune nothing", &Cond{Column: count, Op: OpGt, Value: int64(200)}, keys(files)},
		{"a date has no bounds", eq(day, time.Date(2024, 5, 7, 0, 0, 0, 0, time.UTC)), keys(files)},
		{"a value in no file", eq(district, "500999"), []string{"old"}},
		{"a float prunes nothing, beside what does", &Cond{And: []*Cond{eq(district, "500103"), eq(Column{Field: "v", Type: schemas.Float}, 1.5)}},
			[]string{"p/yz", "b/low", "old"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Plan{Source: []Column{district, count, day}, Where: tc.where}
			assert.Equal(t, tc.want, keys(prune(p, files)))
		})
	}
}
