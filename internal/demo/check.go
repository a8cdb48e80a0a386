package demo

import (
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// CheckDirectory refuses to run the demo on a data directory that holds any principal other
// than the demo's own. Load would put a CORE steward whose token README publishes beside the
// real accounts, and 30 demo entries into the real directory. A fresh directory, and one that
// only ever ran the demo, pass. A demo principal is recognised, as in Disable, by the demo
// token's hash, which nothing but Load sets.
func CheckDirectory(v *catalog.View) error {
	tokens := make(map[string]string, len(Principals))
	for _, p := range Principals {
		tokens[p.ID] = p.Token
	}
	var real []string
	for _, p := range v.Principals() {
		if tok, ok := tokens[p.ID]; ok && ownedByDemo(p, tok) {
			continue
		}
		real = append(real, p.ID)
	}
	if len(real) == 0 {
		return nil
	}
	return schemas.Userf(ErrRealDirectory,
		"数据目录中已有真实账号 (%s 等 %d 个), 不能以 --demo 启动: 演示会创建令牌公开的演示账号 (含核心级数据管理员) 并向目录写入演示数据。"+
			"请为演示另用一个独立的数据目录, 例如 ecolake serve --demo --data ./var-demo",
		schemas.Clip(real[0], 64), len(real))
}
