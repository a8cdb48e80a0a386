package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/graphql-go/graphql"
)

// maxBodyBytes bounds a request body.
const maxBodyBytes = 1 << 20

// Handler serves POST /graphql with a JSON body {"query","variables","operationName"}, and GET
// with ?query=&variables=&operationName= for queries only (a mutation must be POSTed). The bearer
// token decides the principal; without a valid one the answer is 401.
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		token = strings.TrimSpace(token)
		if !ok || token == "" {
			writeError(w, http.StatusUnauthorized, ("未认证: 缺少 Bearer 令牌"))
			return
		}
		p, err := s.cat.View().PrincipalByToken(token, s.cfg.now())
		if err != nil {
			writeError(w, http.StatusUnauthorized, ("未认证: 令牌无效或已停用"))
			return
		}
		var req Request
		switch r.Method {
		case http.MethodGet:
			q := r.URL.Query()
			req.Query, req.OperationName, req.readOnly = q.Get("query"), q.Get("operationName"), true
			if v := q.Get("variables"); v != "" {
				if err := decodeJSON(strings.NewReader(v), &req.Variables); err != nil {
					writeError(w, http.StatusBadRequest, ("请求无效: variables 不是 JSON 对象"))
					return
				}
			}
		case http.MethodPost:
			body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
			if err != nil || len(body) > maxBodyBytes {
				writeError(w, http.StatusBadRequest, ("请求无效: 请求体无法读取或超过 1 MiB"))
				return
			}
			if err := decodeJSON(bytes.NewReader(body), &req); err != nil {
				writeError(w, http.StatusBadRequest, ("请求无效: 请求体不是 JSON {\"query\", \"variables\", \"operationName\"}"))
				return
			}
		default:
			w.Header().Set("Allow", "GET, POST")
			writeError(w, http.StatusMethodNotAllowed, ("只支持 GET 与 POST"))
			return
		}
		if strings.TrimSpace(req.Query) == "" {
			writeError(w, http.StatusBadRequest, ("请求无效: 缺少 query"))
			return
		}
		if req.Tables, err = ScopeTables(r.URL.Query().Get("tables")); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		ctx := WithPrincipal(r.Context(), p)
		writeJSON(w, http.StatusOK, s.Do(ctx, p, req))
	})
}

// maxScopeTables bounds the tables a request may scope its schema to.
const maxScopeTables = 100

// ScopeTables reads the ?tables= list: table names separated by commas, blanks around them
// ignored, repeats dropped. A name that is no table the caller may read simply adds nothing.
func ScopeTables(v string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(v, ",") {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > maxScopeTables {
		return nil, fmt.Errorf("请求无效: tables 最多 %d 个数据表, 现为 %d 个", maxScopeTables, len(out))
	}
	return out, nil
}

// decodeJSON keeps integers exact so that Long variables beyond 2^53 survive: numbers are read
// as json.Number and become int64 when integral, float64 otherwise (graphql-go's own scalars do
// not know json.Number).
func decodeJSON(r io.Reader, v any) error {
	d := json.NewDecoder(r)
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	switch x := v.(type) {
	case *Request:
		x.Variables = numbers(x.Variables).(map[string]any)
	case *map[string]any:
		*x = numbers(*x).(map[string]any)
	}
	return nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
		return x
	}
	return v
}

func writeJSON(w http.ResponseWriter, status int, res *graphql.Result) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(res)
}

// writeError answers a request that never reached execution: {"errors":[{"message":…}]}.
func writeError(w http.ResponseWriter, status int, msg string) {
	type message struct {
		Message string `json:"message"`
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Errors []message `json:"errors"`
	}{[]message{{msg}}})
}
