package catalog

import (
	"context"
	"errors"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// TestValidationMessagesAreChinese: the problems of a representative invalid entry, principal,
// department and token are Chinese. Once the quoted input values, the field paths and the code
// ids are taken out, no English word (four or more lower-case ASCII letters) is left, neither in
// a problem nor in the text users read (UserText), and that text has no sentinel suffix.
func TestValidationMessagesAreChinese(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	require.NoError(t, s.PutEntry(ctx, validEntry("000001", "taken_table")))
	require.NoError(t, s.PutPrincipal(ctx, Principal{ID: "taken", Name: "甲", Role: RoleScene, Clearance: schemas.General1, TokenHash: HashToken("t0")}))
	off := analyst("off")
	off.Disabled = true
	require.NoError(t, s.CreatePrincipal(ctx, off))

	entry := validEntry("000002", "select")
	entry.ProviderCode = "12345"
	entry.FormatType = "PDF"
	entry.ShareType = "CONDITIONAL"
	entry.UpdateCycle = "HOURLY"
	entry.Status = ""
	entry.Exempt = true
	setItem(entry, 0, func(it *Item) { it.Length, it.CodeList, it.ID = -1, "provinces", 42 })
	setItem(entry, 1, func(it *Item) { it.Field, it.Grade = "district", "" })
	entry.Domains = []string{"AIR", "AIR", "SEA"}
	entry.RelatedCodes = []string{entry.ResourceCode, "x"}
	entry.Department = "GHOST_DIV"
	entry.District = "510100"
	bare := validEntry("000003", "taken_table")
	bare.ResourceCode, bare.Name, bare.Items, bare.Domains, bare.Department, bare.District = "0102/000003", "", ItemList{}, nil, "", ""

	errs := map[string]error{
		"entry":      s.PutEntry(ctx, entry),
		"bare entry": s.PutEntry(ctx, bare),
		"principal": s.PutPrincipal(ctx, Principal{ID: "bad id", Role: RoleDistrict, Department: "no such dept",
			Districts: []string{"999999", schemas.CityCode}, TokenHash: "plain-token"}),
		"principal taken hash": s.PutPrincipal(ctx, Principal{ID: "p2", Name: "乙", Role: "root", Clearance: "TOP", TokenHash: HashToken("t0")}),
		"department":           s.PutDepartment(ctx, Department{Code: "water div", Kind: "office"}),
		"token":                second(s.CreateToken(ctx, NewToken{Principal: "off", Name: strings.Repeat("名", maxTokenName+1)})),
		"token too long":       second(s.CreateToken(ctx, NewToken{Principal: "taken", TTL: MaxTokenTTL + time.Hour})),
	}
	allowed := allowedWords()
	english := regexp.MustCompile(`[a-z]{4,}`)
	quoted := regexp.MustCompile(`“[^”]*”`)
	for name, err := range errs {
		var inv *schemas.InvalidError
		require.True(t, errors.As(err, &inv), "%s: %v", name, err)
		require.ErrorIs(t, err, ErrInvalid, name)
		require.NotEmpty(t, inv.Problems, name)
		for _, p := range inv.Problems {
			assert.Regexp(t, `\p{Han}`, p.Message, "%s %s", name, p.Field)
			rest := allowed.ReplaceAllString(quoted.ReplaceAllString(p.Message, ""), "")
			assert.NotRegexp(t, english, rest, "%s %s: %q", name, p.Field, p.Message)
		}
		text := inv.UserText()
		assert.Regexp(t, `^\p{Han}+ `, inv.Subject, "the subject names the kind of object in Chinese, then its id")
		require.True(t, strings.HasPrefix(text, inv.Subject+" 校验未通过: "), "%s: %q", name, text)
		assert.False(t, strings.HasSuffix(text, ErrInvalid.Error()), "%s: no sentinel in %q", name, text)
		text = strings.TrimPrefix(text, inv.Subject)
		for _, f := range inv.Fields() {
			text = strings.ReplaceAll(text, f+": ", "")
		}
		rest := allowed.ReplaceAllString(quoted.ReplaceAllString(text, ""), "")
		assert.NotRegexp(t, english, rest, "%s: %q", name, inv.UserText())
	}
	assert.GreaterOrEqual(t, len(problemsOf(errs["entry"])), 18, "the representative entry fails many rules at once")
}

func second[A, B any](_ A, _ B, err error) error { return err }

func problemsOf(err error) []schemas.Problem {
	var inv *schemas.InvalidError
	if errors.As(err, &inv) {
		return inv.Problems
	}
	return nil
}

// allowedWords matches what a message may name in ASCII: code ids and code list names, the
// department kinds, the field names a message refers to beside its own, and the ids of the
// stored objects it names (the test's principal "taken").
func allowedWords() *regexp.Regexp {
	words := []string{DepartmentDivision, DepartmentCentre, DepartmentCorps, "category_code", "items", "taken"}
	for _, n := range schemas.ListNames() {
		l, _ := schemas.List(n)
		words = append(words, n)
		for _, c := range l.Codes() {
			words = append(words, c.ID)
		}
	}
	sort.Slice(words, func(i, j int) bool { return len(words[i]) > len(words[j]) })
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(`\b(` + strings.Join(words, "|") + `)\b`)
}
