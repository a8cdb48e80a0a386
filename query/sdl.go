package query

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/cqeco/ecolake/catalog"
)

// SDL returns the schema principal p sees now, its grants included, in GraphQL schema definition
// language with types and fields sorted: for documentation and for golden tests.
func (s *Service) SDL(p *catalog.Principal) (string, error) {
	write, err := s.SDLWriter(p, nil)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := write(&b); err != nil {
		return "", err
	}
	return b.String(), nil
}

// SDLWriter gets the schema principal p sees now, or its part with the catalogue fields and the
// given tables (ScopeTables) when there are some, and returns what writes it as SDL (see SDL):
// a province's schema is tens of megabytes of text, so it is streamed to the client rather
// than held whole. An error getting the schema is returned before anything is written.
func (s *Service) SDLWriter(p *catalog.Principal, tables []string) (func(io.Writer) error, error) {
	rd := reader{view: s.cat.View(), p: p, now: s.cfg.now()}
	g := s.generationFor(rd.view)
	var sc *graphql.Schema
	var err error
	if len(tables) > 0 {
		sc, err = s.schemaFor(g, rd, &ast.Document{}, tables)
	} else {
		sc, err = s.schema(g, rd)
	}
	if err != nil {
		return nil, err
	}
	return func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 64<<10)
		printSDL(bw, sc)
		return bw.Flush()
	}, nil
}

// printSDL writes the schema's types in name order, built-in scalars and introspection types
// left out. A write error is kept by w and reported by its Flush.
func printSDL(w *bufio.Writer, sc *graphql.Schema) {
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
	for i, n := range names {
		if i > 0 {
			w.WriteByte('\n')
		}
		printType(w, tm[n])
	}
}

func printDesc(w *bufio.Writer, indent, d string) {
	if d == "" {
		return
	}
	w.WriteString(indent)
	w.WriteString(`"""`)
	w.WriteString(strings.ReplaceAll(strings.ReplaceAll(d, "\n", " "), `"""`, `\"""`))
	w.WriteString("\"\"\"\n")
}

// printHead writes a type's description and its first line: "kind name {".
func printHead(w *bufio.Writer, desc, kind, name string) {
	printDesc(w, "", desc)
	w.WriteString(kind)
	w.WriteByte(' ')
	w.WriteString(name)
	w.WriteString(" {\n")
}

func printType(w *bufio.Writer, t graphql.Type) {
	switch t := t.(type) {
	case *graphql.Scalar:
		printDesc(w, "", t.Description())
		w.WriteString("scalar ")
		w.WriteString(t.Name())
		w.WriteByte('\n')
	case *graphql.Enum:
		printHead(w, t.Description(), "enum", t.Name())
		vals := t.Values()
		names := make([]string, len(vals))
		for i, v := range vals {
			names[i] = v.Name
		}
		sort.Strings(names)
		for _, v := range names {
			w.WriteString("  ")
			w.WriteString(v)
			w.WriteByte('\n')
		}
		w.WriteString("}\n")
	case *graphql.InputObject:
		printHead(w, t.Description(), "input", t.Name())
		fields := t.Fields()
		for _, n := range sortedKeys(fields) {
			f := fields[n]
			printDesc(w, "  ", f.Description())
			w.WriteString("  ")
			w.WriteString(n)
			w.WriteString(": ")
			w.WriteString(f.Type.String())
			if f.DefaultValue != nil {
				fmt.Fprintf(w, " = %v", f.DefaultValue)
			}
			w.WriteByte('\n')
		}
		w.WriteString("}\n")
	case *graphql.Object:
		printHead(w, t.Description(), "type", t.Name())
		fields := t.Fields()
		for _, n := range sortedKeys(fields) {
			f := fields[n]
			printDesc(w, "  ", f.Description)
			w.WriteString("  ")
			w.WriteString(n)
			if len(f.Args) > 0 {
				args := make([]string, len(f.Args))
				for i, a := range f.Args {
					args[i] = a.Name() + ": " + a.Type.String()
				}
				sort.Strings(args)
				w.WriteByte('(')
				w.WriteString(strings.Join(args, ", "))
				w.WriteByte(')')
			}
			w.WriteString(": ")
			w.WriteString(f.Type.String())
			w.WriteByte('\n')
		}
		w.WriteString("}\n")
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
