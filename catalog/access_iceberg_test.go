package catalog

import "testing"

// TestMayReadRawTable: the raw table is readable only when the decision asks nothing of the
// reader: rows, every row, every item visible in clear text by right.
func TestMayReadRawTable(t *testing.T) {
	clear := []ItemAccess{{Field: "a", Visible: true}, {Field: "b", Visible: true}}
	with := func(change func(a *Access)) Access {
		a := Access{Exists: true, Read: true, Items: append([]ItemAccess(nil), clear...)}
		change(&a)
		return a
	}
	cases := []struct {
		name string
		a    Access
		want bool
	}{
		{"rows of every item in clear", with(func(*Access) {}), true},
		{"does not exist", with(func(a *Access) { a.Exists = false }), false},
		{"may not read", with(func(a *Access) { a.Read = false }), false},
		{"aggregates only", with(func(a *Access) { a.AggregatesOnly = true }), false},
		{"minimum group", with(func(a *Access) { a.MinGroupSize = MinGroupAggregatesOnly }), false},
		{"row scope", with(func(a *Access) { a.Rows = &RowScope{Fields: []string{"a"}, Districts: []string{"500101"}} }), false},
		{"an item masked", with(func(a *Access) { a.Items[1].Mask = "phone" }), false},
		{"an item hidden", with(func(a *Access) { a.Items[0].Visible = false }), false},
		{"an item unmasked by a grant", with(func(a *Access) { a.Items[1].Unmasked = true }), false},
		{"no items", with(func(a *Access) { a.Items = nil }), false},
	}
	for _, c := range cases {
		if got := MayReadRawTable(c.a); got != c.want {
			t.Errorf("%s: MayReadRawTable = %t, want %t", c.name, got, c.want)
		}
	}
}
