package test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeDirectoryGraphQL runs the GraphQL walkthrough of README.md ("The directory as stewards
// run it") against a demo server, operation by operation, with the token each names and, as a
// reader would, the revision the previous answer gave as the next operation's base.
func TestReadmeDirectoryGraphQL(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	section := string(readme)
	start := strings.Index(section, "## The directory as stewards run it")
	require.GreaterOrEqual(t, start, 0)
	section = section[start:]
	open := strings.Index(section, "```graphql\n")
	require.GreaterOrEqual(t, open, 0, "the section has a graphql block")
	block := section[open+len("```graphql\n"):]
	block = block[:strings.Index(block, "```")]

	type op struct{ token, doc string }
	var ops []op
	tokenRE := regexp.MustCompile(`^# token: (\S+)`)
	for _, line := range strings.Split(block, "\n") {
		if m := tokenRE.FindStringSubmatch(line); m != nil {
			ops = append(ops, op{token: m[1]})
			continue
		}
		require.NotEmpty(t, ops, "every operation names its token")
		ops[len(ops)-1].doc += line + "\n"
	}
	require.GreaterOrEqual(t, len(ops), 6)

	s := startServer(t, t.TempDir(), nil, "--demo")
	baseRE := regexp.MustCompile(`base: \d+`)
	var revision float64
	for i, o := range ops {
		doc := o.doc
		if revision > 0 {
			doc = baseRE.ReplaceAllString(doc, "base: "+strconv.FormatFloat(revision, 'f', 0, 64))
		}
		data := s.gql(o.token, doc, nil).ok(t)
		if i == 0 {
			assert.Equal(t, "0101/000010", data["createEntry"].(map[string]any)["resourceCode"], "the code the later operations name")
		}
		if r, ok := findKey(data, "revision"); ok {
			revision = r.(float64)
		}
	}
}

// findKey returns the first value under key in a decoded JSON tree, depth first.
func findKey(v any, key string) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x[key]; ok {
			return r, true
		}
		for _, c := range x {
			if r, ok := findKey(c, key); ok {
				return r, true
			}
		}
	case []any:
		for _, c := range x {
			if r, ok := findKey(c, key); ok {
				return r, true
			}
		}
	}
	return nil, false
}
