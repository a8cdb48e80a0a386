package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/cqeco/ecolake/schemas"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// docError is a malformed document: its message is for the user as it stands.
type docError struct{ msg string }

func (e *docError) Error() string { return e.msg }
func (e *docError) Unwrap() error { return schemas.ErrInvalid }

func docErrorf(format string, args ...any) error { return &docError{fmt.Sprintf(format, args...)} }

func strictJSON(data []byte, v any, where string) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return jsonProblem(where, err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return docErrorf("%s: JSON 之后还有多余的内容", where)
	}
	return nil
}

// jsonProblem says in Chinese what is wrong with a document.
func jsonProblem(where string, err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return docErrorf("%s: 未知的字段 %s (可用的字段见 examples/entry.json)", where, strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.As(err, &syn):
		return docErrorf("%s: JSON 格式错误 (第 %d 字节附近): %v", where, syn.Offset, err)
	case errors.As(err, &typ):
		return docErrorf("%s: 字段 %s 的值类型不对, 应为%s", where, typ.Field, kindName(typ.Type))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return docErrorf("%s: JSON 不完整", where)
	}
	return docErrorf("%s: 无法解析: %v", where, err)
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "文本"
	case reflect.Int, reflect.Int64:
		return "整数"
	case reflect.Bool:
		return " true 或 false"
	case reflect.Slice:
		return "数组"
	case reflect.Struct, reflect.Map:
		return "对象"
	}
	return " " + t.String()
}
