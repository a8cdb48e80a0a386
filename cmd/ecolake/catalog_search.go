package main

func init() {
	register(&command{name: "catalog search", summary: "全文搜索目录 (名称、摘要、信息项、提供方、业务事项、应用场景、区县)", args: []string{"关键词"}, setup: setupCatalogSearch,
		detail: "关键词可以是任意片段 (如 代码、水质、PM2.5、渝北), 多个词用空格分隔并加引号, 须同时出现; 不给关键词则按筛选条件列出。名称命中的目录排在前面。"})
}
