package query

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cqeco/ecolake/schemas"
)

// Masking of personal information (STANDARDS §4). A masked item comes back with only the parts
// the rule of its pi_type keeps; the rest is '*'. The rules are written twice from one table: as
// DuckDB expressions, so that clear text never leaves the query engine, and in Go (MaskValue),
// which the tests hold the SQL to. Lengths are in characters, not bytes.
//
// A masked item is only ever projected. Filtering, ordering, grouping or aggregating on it is
// refused (policy.go): each would answer questions about the hidden value (an equality filter
// probes for a number, a range filter bisects it, an order ranks it, a group key or min/max
// spells it out), so the item answers nothing about the clear value but its masked form.

// maskRule keeps the first and last characters of a value; a value too short to keep anything
// without showing it whole is all '*'. email and address are rules of their own.
type maskRule struct {
	first, last int
	email       bool // keep the first character of the local part and the domain
	address     bool // keep down to the district (the first 区 or 县), then a fixed ****
}

var maskRules = map[string]maskRule{
	"MOBILE":      {first: 3, last: 4},
	"ID_CARD":     {first: 6, last: 4},
	"CN_NAME":     {first: 1},
	"FIXED_PHONE": {last: 4},
	"BANK_CARD":   {first: 6, last: 4},
	"PLATE":       {first: 2, last: 1},
	"EMAIL":       {email: true},
	"ADDRESS":     {address: true},
}

// addressStop are the characters that end the part of an address that is kept.
const addressStop = "区县"

// maskRuleOf returns the rule of a pi_type; an unknown type (a code list replaced with a type
// this build has no rule for) is an error, never clear text.
func maskRuleOf(piType string) (maskRule, error) {
	r, ok := maskRules[piType]
	if !ok {
		return maskRule{}, fmt.Errorf("no masking rule for personal information type %q: %w", piType, ErrForbidden)
	}
	return r, nil
}

// MaskValue masks v by the rule of piType.
func MaskValue(piType, v string) (string, error) {
	r, err := maskRuleOf(piType)
	if err != nil {
		return "", err
	}
	n := utf8.RuneCountInString(v)
	switch {
	case r.email:
		at := strings.IndexByte(v, '@')
		if at < 0 {
			return strings.Repeat("*", n), nil
		}
		local := v[:at]
		keep := ""
		if local != "" {
			_, size := utf8.DecodeRuneInString(local)
			keep = local[:size]
		}
		return keep + "**" + v[at:], nil
	case r.address:
		if i := strings.IndexAny(v, addressStop); i >= 0 {
			_, size := utf8.DecodeRuneInString(v[i:])
			return v[:i+size] + "****", nil
		}
		return "****", nil
	}
	if n <= r.first+r.last {
		return strings.Repeat("*", n), nil
	}
	runes := []rune(v)
	return string(runes[:r.first]) + strings.Repeat("*", n-r.first-r.last) + string(runes[n-r.last:]), nil
}

// maskSQL returns the DuckDB expression that masks the VARCHAR column col (a quoted, validated
// identifier) by the rule of piType. It holds no value: only the identifier and fixed text.
func maskSQL(piType, col string) (string, error) {
	r, err := maskRuleOf(piType)
	if err != nil {
		return "", err
	}
	var expr string
	switch {
	case r.email:
		at := "strpos(" + col + ", '@')"
		expr = fmt.Sprintf("CASE WHEN %[2]s = 0 THEN repeat('*', length(%[1]s)) "+
			"ELSE left(%[1]s, CASE WHEN %[2]s > 1 THEN 1 ELSE 0 END) || '**' || substr(%[1]s, %[2]s) END", col, at)
	case r.address:
		expr = fmt.Sprintf("regexp_extract(%s, '^([^%s]*[%s])', 1) || '****'", col, addressStop, addressStop)
	default:
		expr = fmt.Sprintf("CASE WHEN length(%[1]s) <= %[2]d THEN repeat('*', length(%[1]s)) "+
			"ELSE left(%[1]s, %[3]d) || repeat('*', length(%[1]s) - %[2]d) || right(%[1]s, %[4]d) END",
			col, r.first+r.last, r.first, r.last)
	}
	return "CASE WHEN " + col + " IS NULL THEN NULL ELSE " + expr + " END", nil
}

// maskedColumn is the projection of c for a reader who sees it masked by piType.
func maskedColumn(c Column, piType string) (string, error) {
	if c.Type != schemas.String {
		// Publishing refuses personal information on other types; a column that is not text
		// cannot be masked by these rules and is never sent in clear.
		return "", fmt.Errorf("item %s is personal information of type %s, not text: %w", c.Field, c.Type, ErrForbidden)
	}
	col := schemas.QuoteIdent(c.Field)
	expr, err := maskSQL(piType, col)
	if err != nil {
		return "", err
	}
	return expr + " AS " + col, nil
}
