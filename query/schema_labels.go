package query

import (
	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Every code the API returns comes with its Chinese label beside it, by one convention:
//   - a field holding a code (shareType: CONDITIONAL) has a sibling named after it with "Name"
//     (shareTypeName: 有条件共享), null when the code is;
//   - a field holding a list of codes (domains) has a sibling with "Names" (domainNames), the
//     labels in the same order;
//   - a grade is an object (Grade) that carries its own id and name.
// Labels are read from the installed code lists when a request resolves them, so a replaced
// list (--codelists) shows its labels; an unknown code is its own label.

// labelDesc is appended to a code field's description to name its label field.
const labelDesc = " (代码; 中文名称见同名加 Name 的字段)"

// codeField is a nullable code of the entry, described with the convention.
func codeField[S any](desc string, get func(S) string) *graphql.Field {
	return field(graphql.String, desc+labelDesc, func(s S) any { return nilIfEmpty(get(s)) })
}

// labelField is the Chinese label of a code of the source, null when the code is empty.
func labelField[S any](desc string, l *schemas.CodeList, get func(S) string) *graphql.Field {
	return field(graphql.String, desc+"的中文名称", func(s S) any { return nameOf(l, get(s)) })
}

// labelsField is the Chinese labels of a list of codes, in the list's order.
func labelsField[S any](desc string, l *schemas.CodeList, get func(S) []string) *graphql.Field {
	return field(graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(graphql.String))), desc+"的中文名称, 与代码一一对应",
		func(s S) any {
			ids := get(s)
			out := make([]string, len(ids))
			for i, id := range ids {
				out[i] = l.NameOf(id)
			}
			return out
		})
}

// entryCodeFields are the code fields of Entry and their labels, beyond those the type had
// before the convention (category, department and district had their names already).
func entryCodeFields() graphql.Fields {
	type E = *catalog.Entry
	return graphql.Fields{
		"updateCycleName": labelField("更新周期", schemas.UpdateCycles, func(e E) string { return string(e.UpdateCycle) }),
		"statusName":      labelField("目录状态", schemas.EntryStatuses, func(e E) string { return e.Status }),
		"sourceKindName":  labelField("来源类型", schemas.SourceKinds, func(e E) string { return e.SourceKind }),
		"domainNames":     labelsField("治理领域", schemas.Domains, func(e E) []string { return nonNil(e.Domains) }),
		"shareTypeName":   labelField("共享类型", schemas.ShareTypes, func(e E) string { return e.ShareType }),
		"shareMode":       codeField("共享方式", func(e E) string { return e.ShareMode }),
		"shareModeName":   labelField("共享方式", schemas.ShareModes, func(e E) string { return e.ShareMode }),
		"openType":        codeField("开放类型", func(e E) string { return e.OpenType }),
		"openTypeName":    labelField("开放类型", schemas.OpenTypes, func(e E) string { return e.OpenType }),
		"formatType":      codeField("资源格式", func(e E) string { return e.FormatType }),
		"formatTypeName":  labelField("资源格式", schemas.FormatTypes, func(e E) string { return e.FormatType }),
	}
}

// itemCodeFields are the labels of Item's codes.
func itemCodeFields() graphql.Fields {
	type I = catalog.Item
	return graphql.Fields{
		"typeName":   labelField("数据类型", schemas.DataTypes, func(i I) string { return string(i.Type) }),
		"piTypeName": labelField("个人信息类型", schemas.PITypes, func(i I) string { return i.PIType }),
		"codeListName": field(graphql.String, "代码表的中文名称", func(i I) any {
			if l, ok := schemas.List(i.CodeList); ok && l.Title() != "" {
				return l.Title()
			}
			return nilIfEmpty(i.CodeList)
		}),
	}
}
