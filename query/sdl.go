package query

import (
	"fmt"
	"sort"
	"strings"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
)

// SDL returns the schema principal p sees now, its grants included, in GraphQL schema definition
// language with types and fields sorted: for documentation and for golden tests.
func (s *Service) SDL(p *catalog.Principal) (string, error) {
	rd := reader{view: s.cat.View(), p: p, now: s.cfg.now()}
	sc, err := s.schema(s.generationFor(rd.view), rd)
	if err != nil {
		return "", err
	}
	return printSDL(sc), nil
}

func printSDL(sc *graphql.Schema) string {
	tm := sc.TypeMap()
	names := make([]string, 0, len(tm))
	for n := range tm {
		if strings.HasPrefix(n, "__") {
			continue
		}
		switch n {
		case "String", "Int", "Float", "Boolean", "ID":
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString("\n")
		}
		printType(&b, tm[n])
	}
	return b.String()
}

func printDesc(b *strings.Builder, indent, d string) {
	if d != "" {
		fmt.Fprintf(b, "%s\"\"\"%s\"\"\"\n", indent, strings.ReplaceAll(strings.ReplaceAll(d, "\n", " "), `"""`, `\"""`))
	}
}

func printType(b *strings.Builder, t graphql.Type) {
	switch t := t.(type) {
	case *graphql.Scalar:
		printDesc(b, "", t.Description())
		fmt.Fprintf(b, "scalar %s\n", t.Name())
	case *graphql.Enum:
		printDesc(b, "", t.Description())
		fmt.Fprintf(b, "enum %s {\n", t.Name())
		vals := t.Values()
		names := make([]string, len(vals))
		for i, v := range vals {
			names[i] = v.Name
		}
		sort.Strings(names)
		for _, v := range names {
			fmt.Fprintf(b, "  %s\n", v)
		}
		b.WriteString("}\n")
	case *graphql.InputObject:
		printDesc(b, "", t.Description())
		fmt.Fprintf(b, "input %s {\n", t.Name())
		fields := t.Fields()
		for _, n := range sortedKeys(fields) {
			f := fields[n]
			printDesc(b, "  ", f.Description())
			fmt.Fprintf(b, "  %s: %s", n, f.Type)
			if f.DefaultValue != nil {
				fmt.Fprintf(b, " = %v", f.DefaultValue)
			}
			b.WriteString("\n")
		}
		b.WriteString("}\n")
	case *graphql.Object:
		printDesc(b, "", t.Description())
		fmt.Fprintf(b, "type %s {\n", t.Name())
		fields := t.Fields()
		for _, n := range sortedKeys(fields) {
			f := fields[n]
			printDesc(b, "  ", f.Description)
			fmt.Fprintf(b, "  %s", n)
			if len(f.Args) > 0 {
				args := make([]string, len(f.Args))
				for i, a := range f.Args {
					args[i] = fmt.Sprintf("%s: %s", a.Name(), a.Type)
				}
				sort.Strings(args)
				fmt.Fprintf(b, "(%s)", strings.Join(args, ", "))
			}
			fmt.Fprintf(b, ": %s\n", f.Type)
		}
		b.WriteString("}\n")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
