package app

import (
	"fmt"
	"strings"

	"github.com/cqeco/ecolake/ingest"
	// The connector kinds the service offers: each package registers itself with ingest.
	_ "github.com/cqeco/ecolake/ingest/postgres"
	_ "github.com/cqeco/ecolake/ingest/rest"
)

// ConnectorReference is the reference documentation of the connectors, generated from their
// specs (the text the API's /api/v1/connectors and validation use too): docs/connectors.md is
// this text, and a test keeps it so.
func ConnectorReference() string {
	var b strings.Builder
	b.WriteString("# 连接器配置参考\n\n")
	b.WriteString("本文由各连接器的配置说明（spec）生成，请勿手工修改：`ecolake connectors --markdown > docs/connectors.md`。\n")
	b.WriteString("配置经 `PUT /api/v1/entries/{资源代码}/connection` 或 `ecolake connection set` 设置；未列出的配置项会被拒绝，")
	b.WriteString("保密项（如令牌、口令）保存后不再显示，读取时显示为 `[redacted]`，修改连接时留空或原样提交即保留原值。\n")
	for _, c := range ingest.Connectors() {
		s := c.Spec
		fmt.Fprintf(&b, "\n## %s：%s\n\n%s\n\n", s.Kind, s.Title, s.Description)
		b.WriteString("| 配置项 | 名称 | 类型 | 必填 | 默认值 | 说明 | 示例 |\n|---|---|---|---|---|---|---|\n")
		for _, f := range s.Fields {
			req := ""
			if f.Required {
				req = "是"
			}
			typ := string(f.Type)
			if len(f.Enum) > 0 {
				typ += "：" + strings.Join(f.Enum, " / ")
			}
			if f.Max > 0 {
				typ += fmt.Sprintf("（%d–%d）", f.Min, f.Max)
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", f.Key, cell(f.Title), typ, req, code(f.Default), cell(f.Description), code(f.Example))
		}
	}
	return b.String()
}

func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", "<br>").Replace(s)
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(cell(s), "`", "'") + "`"
}
