package web

import "strings"

// CockpitQueries are the GraphQL requests the cockpit page sends (static/graphql): its figures
// (the three management figures against their targets, their breakdowns, the first page of
// entries holding 数据归集率 back, the business items and "一件事" behind the other two), and
// its trend with the variables from and to. The benchmark times the server's answer to the
// same text.
func CockpitQueries() (figures, history string) {
	return queryText("graphql/cockpit.graphql"), queryText("graphql/cockpit-history.graphql")
}

func queryText(name string) string {
	a, ok := assets[name]
	if !ok {
		panic("web: no " + name) // part of the binary
	}
	return strings.TrimSpace(string(a.data))
}
