package search

import (
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Bounds of a query.
const (
	MaxTextRunes   = 200 // characters of Query.Text
	MaxWords       = 10  // words (pieces between blanks) of Query.Text
	MaxFilterCodes = 100 // codes of all filters together
	DefaultLimit   = 20
	MaxLimit       = 100
)

// Query is one search.
type Query struct {
	// Text is the words to find, separated by blanks; each must occur, as a substring, in the
	// entry's searchable text. Empty lists every entry the filters admit, by resource code.
	Text string
	// Filters keeps the entries whose code for the facet (FacetCategory …) is one of the given
	// codes (or Chinese names); several facets must all hold.
	Filters map[string][]string
	Limit   int    // hits per page: 0 means DefaultLimit, at most MaxLimit
	Cursor  string // Result.NextCursor of the previous page, "" for the first
	// Facets asks for the facet counts (one bitmap intersection per code: cheap, but a caller
	// that shows none, or asks for a further page of the same query, leaves it false).
	Facets bool
}

// plan is a query checked and normalized.
type plan struct {
	words   []string
	filters map[string][]string // facet → codes, sorted
	limit   int
	after   *cursor
	hash    uint32
	facets  bool
}

// cursor is where a page ends: the tier (0 name matches, 1 the others) and the resource code of
// its last hit, and the hash of the query it belongs to. The next page starts after that code in
// that tier: hits within a tier come in resource-code order.
type cursor struct {
	Tier  int    `json:"t"`
	Score string `json:"s,omitempty"` // written by the bleve index of earlier versions; ignored
	ID    string `json:"i"`
	Hash  uint32 `json:"h"`
}

func invalid(format string, args ...any) error {
	return schemas.Userf(schemas.ErrInvalid, format, args...)
}

// check validates q against the vocabulary and the catalogue view (department codes).
func check(v *catalog.View, q Query) (*plan, error) {
	if n := utf8.RuneCountInString(q.Text); n > MaxTextRunes {
		return nil, invalid("text: 搜索词最长 %d 个字符，现为 %d 个", MaxTextRunes, n)
	}
	p := &plan{filters: map[string][]string{}, limit: q.Limit, facets: q.Facets}
	for _, w := range strings.Fields(normalize(q.Text)) {
		if !slices.Contains(p.words, w) {
			p.words = append(p.words, w)
		}
	}
	if len(p.words) > MaxWords {
		return nil, invalid("text: 最多 %d 个关键词（以空格分隔），现为 %d 个", MaxWords, len(p.words))
	}
	switch {
	case q.Limit == 0:
		p.limit = DefaultLimit
	case q.Limit < 0 || q.Limit > MaxLimit:
		return nil, invalid("first: 每页条数应在 1 到 %d 之间，现为 %d", MaxLimit, q.Limit)
	}
	total := 0
	for name, codes := range q.Filters {
		f, ok := facetNamed(name)
		if !ok {
			return nil, invalid("filters: 没有筛选条件%s（可选：%s）", schemas.Quote(schemas.Clip(name, 32)), strings.Join(facetNames(), "、"))
		}
		total += len(codes)
		if total > MaxFilterCodes {
			return nil, invalid("filters: 筛选值合计最多 %d 个", MaxFilterCodes)
		}
		for _, c := range codes {
			id, err := f.code(v, c)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(p.filters[name], id) {
				p.filters[name] = append(p.filters[name], id)
			}
		}
		slices.Sort(p.filters[name])
	}
	p.hash = p.digest()
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, invalid("after: 游标无效，请从第一页重新查询")
		}
		if c.Hash != p.hash {
			return nil, invalid("after: 游标属于另一个查询（搜索词或筛选条件不同），请从第一页重新查询")
		}
		p.after = c
	}
	return p, nil
}

func facetNamed(name string) (facet, bool) {
	for _, f := range facets {
		if f.name == name {
			return f, true
		}
	}
	return facet{}, false
}

func facetNames() []string {
	out := make([]string, len(facets))
	for i, f := range facets {
		out[i] = f.name
	}
	return out
}

// code resolves a filter value, a code or its Chinese name, to the code the index holds.
func (f facet) code(v *catalog.View, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case f.name == FacetDepartment:
		if _, err := v.Department(s); err == nil {
			return s, nil
		}
		for _, d := range v.Departments() {
			if d.Name == s {
				return d.Code, nil
			}
		}
	case f.name == FacetDistrict:
		if d, ok := schemas.LookupDistrict(s); ok {
			return d.Code, nil
		}
		// A name people shorten (渝北 for 渝北区) is taken when it starts one district's name only.
		var found []string
		for _, d := range v.Districts() {
			if s != "" && (strings.HasPrefix(d.Name, s) || strings.HasPrefix(d.ShortName, s)) {
				found = append(found, d.Code)
			}
		}
		if len(found) == 1 {
			return found[0], nil
		}
	default:
		if c, ok := f.list.Lookup(s); ok {
			return c.ID, nil
		}
	}
	return "", invalid("filters.%s: %s不是%s的代码或名称", f.name, schemas.Quote(schemas.Clip(s, 32)), f.title)
}

// digest identifies the query a cursor belongs to.
func (p *plan) digest() uint32 {
	h := fnv.New32a()
	for _, w := range p.words {
		h.Write([]byte(w))
		h.Write([]byte{0})
	}
	for _, f := range facets {
		h.Write([]byte(f.name))
		for _, c := range p.filters[f.name] {
			h.Write([]byte{1})
			h.Write([]byte(c))
		}
		h.Write([]byte{0})
	}
	return h.Sum32()
}

func (c *cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (*cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	if c.ID == "" || c.Tier < 0 || c.Tier > 1 {
		return nil, strconv.ErrSyntax
	}
	if c.Score != "" {
		if _, err := strconv.ParseFloat(c.Score, 64); err != nil {
			return nil, err
		}
	}
	return &c, nil
}
