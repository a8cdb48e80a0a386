package query

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An entry's snapshot retention travels through GraphQL: set at registration, read back (null
// for the service's default, 0 for no bound), changed on a published entry only through its
// change request, kept by an edit that does not mention it, and refused out of range field by
// field in Chinese.
func TestMutationRetention(t *testing.T) {
	f := newWorkflowFixture(t)
	const show = `query($c: String!) { entry(code: $c) { retainSnapshots retainDays
		changeRequest { status proposed { retainSnapshots retainDays } } } }`
	read := func(code string) string {
		return jsonOf(t, at(f.ok(analystID, show, map[string]any{"c": code}), "entry"))
	}

	unset := f.create(stewardAir, newEntryInput("臭氧小时浓度"))
	assert.JSONEq(t, `{"retainSnapshots":null,"retainDays":null,"changeRequest":null}`, read(unset), "unset: the service's default")

	in := newEntryInput("二氧化氮小时浓度")
	in["retainSnapshots"], in["retainDays"] = 5, 30
	code := f.create(stewardAir, in)
	assert.JSONEq(t, `{"retainSnapshots":5,"retainDays":30,"changeRequest":null}`, read(code))
	f.publish(code)

	// Editing the published entry proposes the change; the live entry keeps its retention
	// until the review, and a field the edit leaves out keeps its value.
	f.ok(stewardAir, mEdit, map[string]any{"c": code, "b": f.rev(stewardAir, code), "in": map[string]any{"retainSnapshots": 1}})
	assert.JSONEq(t, `{"retainSnapshots":5,"retainDays":30,
		"changeRequest":{"status":"DRAFT","proposed":{"retainSnapshots":1,"retainDays":30}}}`, read(code))
	e, err := f.cat.View().Entry(code)
	require.NoError(t, err)
	require.NotNil(t, e.RetainSnapshots)
	assert.Equal(t, 5, *e.RetainSnapshots, "what gc applies is the published version")
	f.publish(code)
	assert.JSONEq(t, `{"retainSnapshots":1,"retainDays":30,"changeRequest":null}`, read(code))

	// 0 is a setting of its own (no bound of that kind), not the default.
	f.ok(stewardAir, mEdit, map[string]any{"c": unset, "b": f.rev(stewardAir, unset), "in": map[string]any{"retainDays": 0}})
	assert.JSONEq(t, `{"retainSnapshots":null,"retainDays":0,"changeRequest":null}`, read(unset))

	// Out of range: refused, each field named with its bounds; nothing changes.
	for _, tc := range []struct {
		name string
		in   map[string]any
		want map[string]string
	}{
		{"negative", map[string]any{"retainSnapshots": -1, "retainDays": -2}, map[string]string{
			"retainSnapshots": "快照保留个数 -1 应在 0 到 100000 之间（0 为不按个数限制）",
			"retainDays":      "快照保留天数 -2 应在 0 到 36500 之间（0 为不按天数限制）"}},
		{"too large", map[string]any{"retainSnapshots": 100001, "retainDays": 36501}, map[string]string{
			"retainSnapshots": "快照保留个数 100001 应在 0 到 100000 之间（0 为不按个数限制）",
			"retainDays":      "快照保留天数 36501 应在 0 到 36500 之间（0 为不按天数限制）"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.refused(stewardAir, "INVALID", mEdit, map[string]any{"c": code, "b": f.rev(stewardAir, code), "in": tc.in})
			assert.Equal(t, tc.want, problemFields(err))
			assert.Contains(t, err.Message, "快照保留个数")
			bad := newEntryInput("臭氧日均浓度")
			for k, v := range tc.in {
				bad[k] = v
			}
			err = f.refused(stewardAir, "INVALID", mCreate, map[string]any{"in": bad})
			assert.Equal(t, tc.want, problemFields(err))
		})
	}
	assert.JSONEq(t, `{"retainSnapshots":1,"retainDays":30,"changeRequest":null}`, read(code))
}
