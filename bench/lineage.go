package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lineage"
	"github.com/cqeco/ecolake/schemas"
)

// lineageReport generates a lineage graph of nodes entries through the real catalogue commands —
// a tenth loaded from sources, the rest derived from 5 or 6 entries among the 500 before them,
// about 50,000 table edges for 10,000 entries, each output item reading an input item — and
// times 10-hop traversals upstream from the newest entries and downstream from the oldest
// derived ones, at table and at column level: 50 roots, each traversed four times.
func lineageReport(nodes int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ecolake-lineage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cat, err := catalog.Open(ctx, catalog.Config{Dir: dir}, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer cat.Close()
	if err := cat.PutDepartment(ctx, catalog.Department{Code: "AIR_DIV", Name: "大气环境处", Kind: catalog.DepartmentDivision}); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(9, 9))
	const fields = 5
	code := func(i int) string { return fmt.Sprintf("0101/%06d", i+1) }
	edges, colEdges := 0, 0
	t0 := time.Now()
	for i := range nodes {
		items := make([]catalog.Item, fields)
		for j := range items {
			items[j] = catalog.Item{Name: fmt.Sprintf("字段%d", j), Field: fmt.Sprintf("f%d", j), Type: schemas.String, Grade: schemas.General1}
		}
		e := &catalog.Entry{ResourceCode: code(i), Table: fmt.Sprintf("t%05d", i), Name: fmt.Sprintf("目录%d", i), CategoryCode: "0101",
			ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB1534567X", Abstract: "血缘基准", FormatType: "DATABASE",
			Items: catalog.ItemsOf(items...), ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "UNCONDITIONAL",
			SharingBasis: "基准", UpdateCycle: schemas.Daily, Status: catalog.StatusPublished, Department: "AIR_DIV",
			District: schemas.CityCode, SourceKind: "LOCAL_SYSTEM", Domains: []string{"AIR"}}
		if i >= nodes/10 {
			k := 5
			if rng.Float64() < 0.55 {
				k = 6
			}
			var inputs []string
			for len(inputs) < k {
				in := code(i - 1 - rng.IntN(min(i, 500)))
				if !slices.Contains(inputs, in) {
					inputs = append(inputs, in)
				}
			}
			slices.Sort(inputs)
			t := &catalog.Transform{SQL: "SELECT …", Inputs: inputs}
			for j := range fields {
				f := fmt.Sprintf("f%d", j)
				t.Columns = append(t.Columns, catalog.DerivedColumn{Field: f, Sources: []catalog.ColumnSource{
					{Entry: inputs[j%k], Field: f, Via: catalog.ViaDirect}}})
			}
			t.Filters = []catalog.ColumnSource{{Entry: inputs[0], Field: "f0", Via: catalog.ViaFilter}}
			e.Transform = t
			edges += k
			colEdges += fields * 2
		}
		if err := cat.PutEntry(ctx, e); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	fmt.Printf("lineage: %d entries, %d table edges, %d column edges written through the catalogue in %.1f s\n",
		nodes, edges, colEdges, time.Since(t0).Seconds())
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile + ".lineage")
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	v := cat.View()
	admin := catalog.Operator()
	now := time.Now()
	for _, c := range []struct {
		name  string
		dir   lineage.Direction
		level lineage.Level
		field string
		from  int
	}{
		{"upstream, table", lineage.Upstream, lineage.TableLevel, "", nodes - 50},
		{"downstream, table", lineage.Downstream, lineage.TableLevel, "", nodes / 10},
		{"upstream, column", lineage.Upstream, lineage.ColumnLevel, "f1", nodes - 50},
		{"downstream, column", lineage.Downstream, lineage.ColumnLevel, "f0", nodes / 10},
	} {
		var took []time.Duration
		reached, most := 0, 0
		for k := range 200 { // 50 roots, four times each
			i := c.from + k%50
			t := time.Now()
			g, err := lineage.Trace(v, admin, now, code(i), lineage.Options{Direction: c.dir, Level: c.level, Field: c.field,
				Depth: 10, MaxNodes: lineage.MaxNodes})
			if err != nil {
				return err
			}
			took = append(took, time.Since(t))
			reached += len(g.Nodes)
			most = max(most, len(g.Nodes))
		}
		slices.Sort(took)
		fmt.Printf("  10 hops %s: p50 %.2f ms, p99 %.2f ms (target ≤ 20 ms), %d nodes reached on average, %d at most\n",
			c.name, ms(took[len(took)/2]), ms(took[len(took)*99/100]), reached/len(took), most)
	}
	if cpuProfile != "" { // what the traversals allocated, beside their CPU profile
		f, err := os.Create(cpuProfile + ".lineage.allocs")
		if err != nil {
			return err
		}
		defer f.Close()
		return pprof.Lookup("allocs").WriteTo(f, 0)
	}
	return nil
}

func ms(d time.Duration) float64 { return d.Seconds() * 1e3 }
