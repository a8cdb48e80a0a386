package ingest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestLoadsRecordPIProposals: each load's proposals are recorded in the catalogue for the
// stewards; a dismissal holds across later loads whose values are of the same kind, and gives
// way when they are of another. Each step is a load of 40 rows of fresh values made by gen for
// the phone item and ID numbers for id_no, then what both proposals are.
func TestLoadsRecordPIProposals(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(func(en *catalog.Entry) {
		en.Items = catalog.ItemsOf(append(en.Items.Slice(),
			catalog.Item{Name: "联系电话", Field: "phone", Type: schemas.String, Grade: schemas.General1},
			catalog.Item{Name: "身份证号", Field: "id_no", Type: schemas.String, Grade: schemas.General1})...)
	})
	ctx := context.Background()
	op := catalog.Operator()
	proposals := func() map[string]*catalog.PIProposal {
		list, err := e.cat.View().PIProposals(op, "0101/000001")
		require.NoError(t, err)
		out := map[string]*catalog.PIProposal{}
		for _, pr := range list {
			out[pr.Field] = pr
		}
		return out
	}
	steps := []struct {
		name        string
		gen         func(r *rand.Rand) string
		dismiss     bool   // the steward dismisses the phone's proposal after the load
		phoneType   string // then
		phoneStatus string
		phoneRun    int // the load (1-based) the phone's proposal names
	}{
		{"mobile numbers are proposed", genMobile, true, "MOBILE", catalog.PIDismissed, 1},
		{"more mobile numbers: the dismissal holds", genMobile, false, "MOBILE", catalog.PIDismissed, 1},
		{"fixed-line numbers: raised anew", genFixedPhone, false, "FIXED_PHONE", catalog.PIProposed, 3},
		{"fixed-line numbers again: refreshed", genFixedPhone, false, "FIXED_PHONE", catalog.PIProposed, 4},
	}
	var runs []string
	for i, st := range steps {
		r := rand.New(rand.NewPCG(uint64(i), 7))
		var b strings.Builder
		b.WriteString("站点编码,区县,监测日期,联系电话,身份证号\n")
		for k := range 40 {
			fmt.Fprintf(&b, "L%dS%02d,渝中区,2024-05-07,%s,%s\n", i, k, st.gen(r), genIDCard(r))
		}
		res, err := e.submit(fmt.Sprintf("报送%d.csv", i+1), b.String(), nil)
		require.NoError(t, err, st.name)
		require.NotNil(t, res.Snapshot, st.name)
		runs = append(runs, res.Run.ID)
		if st.dismiss {
			pr := proposals()["phone"]
			require.NotNil(t, pr, st.name)
			require.NoError(t, e.cat.DismissPI(ctx, op, "0101/000001", "phone", "值班电话，非个人信息", pr.Revision))
		}
		got := proposals()
		phone, id := got["phone"], got["id_no"]
		require.NotNil(t, phone, st.name)
		assert.Equal(t, st.phoneType, phone.PIType, st.name)
		assert.Equal(t, st.phoneStatus, phone.Status, st.name)
		assert.Equal(t, runs[st.phoneRun-1], phone.Run, st.name)
		assert.Equal(t, schemas.PIGrade(st.phoneType), phone.Grade, st.name)
		require.NotNil(t, id, st.name)
		assert.Equal(t, "ID_CARD", id.PIType, st.name)
		assert.Equal(t, catalog.PIProposed, id.Status, st.name)
		assert.Equal(t, res.Run.ID, id.Run, "%s: refreshed by every load", st.name)
		assert.Equal(t, schemas.General4, id.Grade, st.name)
		assert.Equal(t, 40, id.Sampled, st.name)
	}
}
