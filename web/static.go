package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed static
var staticFS embed.FS

// asset is one static file, its tag and, once asked for, its gzip form.
type asset struct {
	data  []byte
	etag  string
	ctype string

	gzOnce sync.Once
	gz     []byte
}

var assets = map[string]*asset{}

func init() {
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		name := strings.TrimPrefix(p, "static/")
		ctype := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".js":
			ctype = "text/javascript; charset=utf-8"
		case "", ".md", ".graphql":
			ctype = "text/plain; charset=utf-8" // licence and notice files
		}
		assets[name] = &asset{data: data, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: ctype}
		return nil
	})
	if err != nil {
		panic(err) // the files are part of the binary
	}
}

// staticHandler serves the embedded files by name. They are revalidated by their tag on each
// use (a new binary may change them under the same name); text is sent compressed to clients
// that take gzip, compressed once per file.
func staticHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ctype)
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", a.etag)
		h.Add("Vary", "Accept-Encoding")
		body := a.data
		if a.compressible() && acceptsGzip(r) {
			if gz := a.gzipped(); gz != nil {
				h.Set("Content-Encoding", "gzip")
				h.Set("ETag", strings.TrimSuffix(a.etag, `"`)+`-gz"`)
				body = gz
			}
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	})
}

func (a *asset) compressible() bool {
	return len(a.data) > 1024 && (strings.HasPrefix(a.ctype, "text/") || strings.Contains(a.ctype, "svg"))
}

// gzipped is the file compressed, or nil when compressing does not pay.
func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		if _, err := zw.Write(a.data); err != nil {
			return
		}
		if err := zw.Close(); err != nil {
			return
		}
		if b.Len() < len(a.data)*9/10 {
			a.gz = b.Bytes()
		}
	})
	return a.gz
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}
