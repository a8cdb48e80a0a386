package schemas

import "fmt"

// reserved words that may not be used as a table or field identifier because they clash with
// SQL keywords or with names the query layer generates.
var reserved = map[string]bool{
	"select": true, "from": true, "where": true, "order": true, "group": true, "by": true,
	"limit": true, "offset": true, "and": true, "or": true, "not": true, "null": true,
	"table": true, "join": true, "union": true, "as": true, "count": true, "sum": true,
	"avg": true, "min": true, "max": true, "entries": true, "entry": true, "collection_rate": true,
}

// CheckIdent validates an identifier used for a lake table or an item field: lower-case ASCII
// letters, digits and underscores, starting with a letter, at most 63 characters, not reserved.
// Only identifiers that pass may ever appear in SQL text or GraphQL names. Its messages are
// Chinese: they reach stewards registering entries.
func CheckIdent(s string) error {
	if !identShaped(s) {
		return fmt.Errorf("标识符%s须以小写英文字母开头，只含小写英文字母、数字和下划线，最长 63 个字符: %w", Quote(s), ErrInvalid)
	}
	if reserved[s] {
		return fmt.Errorf("标识符%s是保留字，不能使用: %w", Quote(s), ErrInvalid)
	}
	return nil
}

// QuoteIdent quotes a validated identifier for SQL. It panics on an identifier that did not pass
// CheckIdent, because that is a programming error, never user input reaching SQL.
func QuoteIdent(s string) string {
	if err := CheckIdent(s); err != nil {
		panic(err)
	}
	return `"` + s + `"`
}

// identShaped reports whether s is ^[a-z][a-z0-9_]{0,62}$: a byte loop rather than a regular
// expression, since every item of every entry command passes here under the catalogue's write
// lock.
func identShaped(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
