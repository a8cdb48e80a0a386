package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"time"
)

//go:embed templates
var templateFS embed.FS

// page is one HTML page: the shared layout around its own main part. Pages carry no data (it
// is fetched by their script with the user's token), so each is rendered once, at start.
type page struct {
	Name   string   // path under Prefix, template templates/<Name>.html, body class
	Title  string   // Chinese title
	Nav    string   // the navigation item marked current
	Script string   // its module under static/js/
	Vendor []string // vendored scripts under static/vendor/, loaded before the module
	Styles []string // vendored stylesheets under static/vendor/
	Public bool     // readable without logging in (the login page)
	// StyleNonce pages get a fresh nonce per response, allowed as a style source and handed to
	// their script (the template's .Nonce): GraphiQL's dialogs add a style element (their scroll
	// lock) and mark it with the nonce they find in window.__webpack_nonce__.
	StyleNonce bool

	body []byte
	etag string
}

// navItems are the main navigation, in order. An item with Needs is shown only to an account
// whose viewer has that permission set (layout.js): reviewing to reviewers, submitting to those
// who may load. The pages themselves ask the catalogue whatever the menu shows.
var navItems = []struct{ Name, Label, Needs string }{
	{"cockpit", "驾驶舱", ""},
	{"directory", "目录", ""},
	{"items", "事项场景", "editsDirectory"},
	{"review", "审核", "reviewsDirectory"},
	{"submit", "报送", "loadsData"},
	{"grants", "授权", ""},
	{"lineage", "血缘", ""},
	{"graphiql", "GraphiQL", ""},
}

var pages = []*page{
	{Name: "login", Title: "登录", Script: "login.js", Public: true},
	{Name: "cockpit", Title: "驾驶舱", Nav: "cockpit", Script: "cockpit.js", Vendor: []string{"echarts/echarts.min.js"}},
	{Name: "directory", Title: "数据资源目录", Nav: "directory", Script: "directory.js"},
	{Name: "entry", Title: "目录详情", Nav: "directory", Script: "entry.js"},
	{Name: "entry-edit", Title: "编辑目录", Nav: "directory", Script: "entry-edit.js"},
	{Name: "items", Title: "业务事项与场景", Nav: "items", Script: "items.js"},
	{Name: "review", Title: "待我审核", Nav: "review", Script: "review.js"},
	{Name: "submit", Title: "数据报送", Nav: "submit", Script: "submit.js"},
	{Name: "grants", Title: "数据授权", Nav: "grants", Script: "grants.js"},
	{Name: "lineage", Title: "数据血缘", Nav: "lineage", Script: "lineage.js",
		Vendor: []string{"echarts/echarts.min.js"}},
	{Name: "graphiql", Title: "GraphiQL 查询", Nav: "graphiql", Script: "graphiql.js",
		Vendor: []string{"react/react.production.min.js", "react-dom/react-dom.production.min.js", "graphiql/graphiql.min.js"},
		Styles: []string{"graphiql/graphiql.min.css"}, StyleNonce: true},
}

// noncePlaceholder stands in the rendered page for the nonce each response puts there.
const noncePlaceholder = "ecolake-style-nonce-placeholder"

// layoutData is what the layout template reads.
type layoutData struct {
	*page
	Prefix string
	Nav    []navLink
	Year   int
	Nonce  string // noncePlaceholder on StyleNonce pages
}

type navLink struct {
	Href, Label, Needs string
	Current            bool
}

func init() {
	for _, p := range pages {
		if err := p.render(); err != nil {
			panic(err) // the templates are part of the binary: a broken one is a build error
		}
	}
}

func (p *page) render() error {
	t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/"+p.Name+".html")
	if err != nil {
		return fmt.Errorf("parse page %s: %w", p.Name, err)
	}
	d := layoutData{page: p, Prefix: Prefix, Year: time.Now().Year()}
	if p.StyleNonce {
		d.Nonce = noncePlaceholder
	}
	for _, n := range navItems {
		d.Nav = append(d.Nav, navLink{Href: Prefix + n.Name, Label: n.Label, Needs: n.Needs, Current: n.Name == p.Nav})
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", d); err != nil {
		return fmt.Errorf("render page %s: %w", p.Name, err)
	}
	p.body = b.Bytes()
	sum := sha256.Sum256(p.body)
	p.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	return nil
}

func (p *page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if p.StyleNonce {
		var b [18]byte
		if _, err := rand.Read(b[:]); err != nil {
			http.Error(w, "无法生成页面", http.StatusInternalServerError)
			return
		}
		nonce := base64.StdEncoding.EncodeToString(b[:])
		h.Set("Content-Security-Policy", policyWithStyleNonce(nonce))
		h.Set("Cache-Control", "no-store")
		_, _ = w.Write(bytes.ReplaceAll(p.body, []byte(noncePlaceholder), []byte(nonce)))
		return
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", p.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(p.body))
}
