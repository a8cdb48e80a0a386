// Package web is the Simplified-Chinese browser UI of the service: HTML pages rendered from
// embedded templates, one stylesheet, small ES-module scripts and pinned vendored libraries
// (static/vendor), all served from the binary with no build step and nothing fetched from
// elsewhere. The pages hold no data of their own: every figure, entry and graph comes from the
// service's governed doors (POST /graphql, /api/v1) with the user's token, kept in the
// browser's sessionStorage only, so the UI sees exactly what the catalogue's decision lets that
// account see.
package web

import (
	"net/http"
	"strings"
)

// Prefix is where the UI is mounted.
const Prefix = "/ui/"

// contentSecurityPolicy allows scripts, styles and connections to this origin only: no inline
// script, no eval, no frame. Style attributes are allowed because the vendored libraries
// (ECharts' tooltip, GraphiQL's editor) position their elements through them; style elements
// still come only from this origin.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// policyWithStyleNonce is the policy that also allows style elements carrying nonce.
func policyWithStyleNonce(nonce string) string {
	return strings.Replace(contentSecurityPolicy, "style-src 'self';", "style-src 'self' 'nonce-"+nonce+"';", 1)
}

// Handler serves the UI under Prefix: the pages, and their static files under Prefix+"static/".
// Prefix itself leads to the directory.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix+"directory", http.StatusFound)
	})
	mux.Handle("GET "+Prefix+"static/", http.StripPrefix(Prefix+"static/", staticHandler()))
	for _, p := range pages {
		mux.Handle("GET "+Prefix+p.Name, p)
	}
	return secured(mux)
}

// secured sets the security headers on every UI response, errors included.
func secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// PrefersHTML reports whether r comes from a browser asking for a page (its Accept names
// text/html), rather than from a client such as curl that takes any text.
func PrefersHTML(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		media, _, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(media), "text/html") {
			return true
		}
	}
	return false
}
