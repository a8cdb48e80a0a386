package query

import (
	"encoding/base64"
	"strings"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The directory list: `directory(filters…, first, after)` answers a page of the entries that
// exist for the caller as a connection { totalCount nodes pageInfo { endCursor hasNextPage } };
// `entries(first, after)`, the older list, answers a page as a plain list. Both ask the
// catalogue's list (catalog.View.Directory), which reads only what the page needs.

// Page sizes of the lists.
const (
	directoryFirstDefault = 50
	entriesFirstDefault   = 500 // entries returned the whole directory before it had pages
	maxFirst              = 500
)

// connection is one page of the directory list with what its fields need.
type connection struct {
	r      *request
	filter catalog.DirectoryFilter
	page   catalog.DirectoryPage
}

type pageInfo struct {
	endCursor string
	hasNext   bool
}

// pageInfoType is the PageInfo type every paged list shares (the directory, table pages), in
// every schema: the tables' types, shared between schemas, refer to it.
var pageInfoType = graphql.NewObject(graphql.ObjectConfig{Name: "PageInfo", Description: "分页信息", Fields: graphql.Fields{
	"endCursor":   field(graphql.String, "本页最后一条的游标, 作为 after 取下一页; 本页为空时为 null", func(p pageInfo) any { return nilIfEmpty(p.endCursor) }),
	"hasNextPage": field(graphql.NewNonNull(graphql.Boolean), "之后是否还有", func(p pageInfo) any { return p.hasNext }),
}})

// newDirectoryTypes returns the EntryConnection type of the directory list.
func newDirectoryTypes(entry, info *graphql.Object) *graphql.Object {
	nn := graphql.NewNonNull
	return graphql.NewObject(graphql.ObjectConfig{Name: "EntryConnection", Description: "目录资源的一页", Fields: graphql.Fields{
		"totalCount": {Type: nn(graphql.Int), Description: "符合条件且可见的目录资源总数 (需遍历全部匹配的目录, 不需要时请勿请求)",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				c := p.Source.(*connection)
				return c.r.view.DirectoryCount(c.r.principal, c.filter), nil
			}},
		"nodes": field(nn(graphql.NewList(nn(entry))), "本页的目录资源, 按信息资源代码排序", func(c *connection) any { return nonNil(c.page.Entries) }),
		"pageInfo": field(nn(info), "分页信息", func(c *connection) any {
			pi := pageInfo{hasNext: c.page.HasNext}
			if n := len(c.page.Entries); n > 0 {
				pi.endCursor = encodeCursor(c.page.Entries[n-1].ResourceCode)
			}
			return pi
		}),
	}})
}

// directoryFilterArgs are the filters of `directory`, each a code of its list (or its Chinese
// name), and the list each is checked against.
var directoryFilterArgs = []struct {
	name, desc string
	list       *schemas.CodeList // nil: checked otherwise (department)
	set        func(f *catalog.DirectoryFilter, id string)
}{
	{"category", "信息资源分类代码 (大类包含其下各小类)", schemas.Categories, func(f *catalog.DirectoryFilter, id string) { f.Category = id }},
	{"domain", "治理领域代码", schemas.Domains, func(f *catalog.DirectoryFilter, id string) { f.Domain = id }},
	{"department", "责任处室代码", nil, func(f *catalog.DirectoryFilter, id string) { f.Department = id }},
	{"district", "区县代码", schemas.Districts, func(f *catalog.DirectoryFilter, id string) { f.District = id }},
	{"grade", "数据分级代码 (目录的分级, 就高从严)", schemas.Grades, func(f *catalog.DirectoryFilter, id string) { f.Grade = id }},
	{"shareType", "共享类型代码", schemas.ShareTypes, func(f *catalog.DirectoryFilter, id string) { f.ShareType = id }},
	{"updateCycle", "更新周期代码", schemas.UpdateCycles, func(f *catalog.DirectoryFilter, id string) { f.UpdateCycle = id }},
	{"status", "目录状态代码", schemas.EntryStatuses, func(f *catalog.DirectoryFilter, id string) { f.Status = id }},
}

func pageArgs(def int) graphql.FieldConfigArgument {
	return graphql.FieldConfigArgument{
		"first": {Type: graphql.Int, DefaultValue: def, Description: "本页最多返回的条数 (1 到 500)"},
	}
}

// directoryField is the root field `directory`.
func directoryField(ct *catalogTypes) *graphql.Field {
	args := pageArgs(directoryFirstDefault)
	args["after"] = &graphql.ArgumentConfig{Type: graphql.String, Description: "上一页 pageInfo.endCursor 的值; 不填为第一页"}
	for _, a := range directoryFilterArgs {
		args[a.name] = &graphql.ArgumentConfig{Type: graphql.String, Description: a.desc + "; 不填为不限"}
	}
	return &graphql.Field{
		Type:        graphql.NewNonNull(ct.connection),
		Description: "按条件分页列出可见的目录资源, 按信息资源代码排序",
		Args:        args,
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("directory")
			first, err := firstArg(p.Args)
			if err != nil {
				return nil, err
			}
			f, err := directoryFilter(r, p.Args)
			if err != nil {
				return nil, err
			}
			after := ""
			if s, ok := p.Args["after"].(string); ok && s != "" {
				if after, ok = decodeCursor(s); !ok {
					return nil, invalidf("参数 after 不是有效的游标: 请使用上一页 pageInfo.endCursor 的值")
				}
			}
			return &connection{r: r, filter: f, page: r.view.Directory(r.principal, f, first, after)}, nil
		},
	}
}

// entriesField is the root field `entries`: a page of every visible entry, as a plain list.
func entriesField(ct *catalogTypes) *graphql.Field {
	args := pageArgs(entriesFirstDefault)
	args["after"] = &graphql.ArgumentConfig{Type: graphql.String, Description: "上一页最后一条的信息资源代码 (resourceCode); 不填为第一页"}
	return &graphql.Field{
		Type:        graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(ct.entry))),
		Description: "可见的目录资源, 按信息资源代码排序, 每次最多 first 条 (默认 500); 按条件筛选与总数见 directory",
		Args:        args,
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("entries")
			first, err := firstArg(p.Args)
			if err != nil {
				return nil, err
			}
			after, _ := p.Args["after"].(string)
			return nonNil(r.view.Directory(r.principal, catalog.DirectoryFilter{}, first, after).Entries), nil
		},
	}
}

func firstArg(args map[string]any) (int, error) {
	first, _ := args["first"].(int)
	if first < 1 || first > maxFirst {
		return 0, invalidf("参数 first 应在 1 到 %d 之间, 而不是 %d", maxFirst, first)
	}
	return first, nil
}

// directoryFilter reads the filter arguments; an unknown code is refused naming the argument
// and the valid codes.
func directoryFilter(r *request, args map[string]any) (catalog.DirectoryFilter, error) {
	var f catalog.DirectoryFilter
	for _, a := range directoryFilterArgs {
		s, _ := args[a.name].(string)
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		id, err := filterCode(r, a.name, a.list, s)
		if err != nil {
			return f, err
		}
		a.set(&f, id)
	}
	return f, nil
}

func filterCode(r *request, arg string, l *schemas.CodeList, s string) (string, error) {
	if l == nil { // department: the departments of the directory
		if d, err := r.view.Department(s); err == nil {
			return d.Code, nil
		}
		var codes []string
		for _, d := range r.view.Departments() {
			codes = append(codes, d.Code)
		}
		if len(codes) > maxCodesInText {
			codes = append(codes[:maxCodesInText], "…")
		}
		return "", invalidf("参数 %s: %s不是处室代码 (可选: %s)", arg, schemas.Quote(s), strings.Join(codes, "、"))
	}
	if l == schemas.Districts {
		if d, ok := schemas.LookupDistrict(s); ok {
			return d.Code, nil
		}
	} else if c, ok := l.Lookup(s); ok {
		return c.ID, nil
	}
	return "", invalidf("参数 %s: %s不在代码表 %s (%s) 中 (可选: %s)", arg, schemas.Quote(s), l.Name, l.Title(), l.Allowed())
}

// maxCodesInText bounds the department codes an error lists.
const maxCodesInText = 20

// A cursor is the resource code of the last entry of a page, encoded so that clients treat it
// as opaque and the encoding may change.
const cursorPrefix = "rc:"

func encodeCursor(code string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + code))
}

func decodeCursor(s string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", false
	}
	code, ok := strings.CutPrefix(string(b), cursorPrefix)
	return code, ok && code != ""
}
