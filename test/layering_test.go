package test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/cqeco/ecolake/"

// TestLayering holds the dependency direction of STYLE.md: schemas (with schemas/xlsxguard, the
// guard on untrusted workbooks) and audit (the durable record of governed reads) import nothing
// of ours; lake
// only schemas; catalog only schemas; lineage only catalog and schemas (its edges are written in
// the catalogue command that commits a snapshot); ingest only catalog, lake, lineage and schemas,
// query those and audit; internal/api (the HTTP doors) only audit, catalog, ingest, lake, lineage,
// query, schemas and web (the UI it mounts), never
// internal/app that wires it; cmd only internal/app; web (the UI, whose data comes only through
// the HTTP doors) imports nothing of ours. The directory's exchange formats
// (catalog/workbook, catalog/dcat) only catalog and schemas; catalog/search
// only catalog and schemas, and only internal/app imports it.
func TestLayering(t *testing.T) {
	allowed := map[string][]string{
		"schemas": {},
		"audit":   {},
		"lake":    {"schemas", "lake"},
		"catalog": {"schemas"},
		"lineage": {"schemas", "catalog"},
		"ingest":  {"schemas", "lake", "catalog", "lineage"},
		"query":   {"schemas", "lake", "catalog", "lineage", "audit"},
		"cmd":     {"internal/app"},
		"web":     {},
	}
	// internal/api is held by its full path: the rest of internal/ (app, demo) is wiring.
	// catalog/search, the directory's search index, is fed from the catalogue: it may import
	// catalog and schemas, and only the wiring imports it (query asks it through an interface).
	subRules := map[string][]string{
		"internal/api":     {"schemas", "lake", "catalog", "ingest", "query", "audit", "lineage", "internal/api", "web"},
		"catalog/workbook": {"schemas", "catalog"},
		"catalog/dcat":     {"schemas", "catalog"},
		"catalog/search":   {"schemas", "catalog", "catalog/search"},
	}
	wiringOnly := map[string]bool{"catalog/search": true}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../...").CombinedOutput()
	require.NoError(t, err, string(out))
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		top := strings.SplitN(pkg, "/", 2)[0]
		rules, ok := allowed[top]
		for sub, r := range subRules {
			if pkg == sub || strings.HasPrefix(pkg, sub+"/") {
				top, rules, ok = sub, r, true
			}
		}
		if !ok || strings.HasSuffix(pkg, "test") { // acceptance suites and test harnesses may import what they test
			continue
		}
		checked++
		for _, imp := range fields[1:] {
			dep, ours := strings.CutPrefix(imp, module)
			if ours && wiringOnly[dep] && pkg != dep {
				require.True(t, strings.HasPrefix(pkg, "internal/app"), "%s must not import %s: only internal/app wires it", pkg, dep)
			}
			if !ours || strings.HasPrefix(dep, top+"/") || dep == top {
				if top != "cmd" || !ours {
					continue
				}
			}
			okDep := false
			for _, a := range rules {
				if dep == a || strings.HasPrefix(dep, a+"/") {
					okDep = true
				}
			}
			require.True(t, okDep, "%s must not import %s", pkg, dep)
		}
	}
	require.GreaterOrEqual(t, checked, 8, "layering rules matched too few packages:\n%s", out)
}
