package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
)

// internals wraps err the way code deep in the service does: English context naming a lake key.
func internals(err error) error {
	return fmt.Errorf("resolve entry %q: read tables/air_daily/rejects/01J0.csv: %w", "air_daily", err)
}

// english finds English words left in a message once those users know are removed: the words
// of the protocol and file formats, the file's own name, the request's own field identifiers and
// values.
var (
	english    = regexp.MustCompile(`[A-Za-z]{3,}`)
	knownWords = strings.NewReplacer("Bearer", "", "UTF", "", "GB18030", "", "CSV", "", ".csv", "", "format_type", "", "name", "", "PDF", "")
)

func TestEveryKindMapsToStatusCodeAndChineseMessage(t *testing.T) {
	header := schemas.Userf(ingest.ErrBadHeader, "报送.csv 表头有误：第 4 列“风速”不是该目录的信息项")
	invalid := &schemas.InvalidError{Subject: "目录 0101/000001", Err: catalog.ErrInvalid,
		Problems: []schemas.Problem{{Field: "name", Message: "必填"}, {Field: "format_type", Message: "“PDF”不在代码表 format_types（资源格式）中"}}}
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		want   string // a substring of the message
	}{
		{"catalog not found", catalog.ErrNotFound, 404, schemas.CodeNotFound, "不存在"},
		{"catalog invalid", catalog.ErrInvalid, 400, schemas.CodeInvalid, "请求无效"},
		{"catalog invalid fields", invalid, 400, schemas.CodeInvalid, "目录 0101/000001 校验未通过: name: 必填；format_type: “PDF”不在代码表 format_types（资源格式）中"},
		{"catalog conflict", catalog.ErrConflict, 409, schemas.CodeConflict, "冲突"},
		{"catalog locked", catalog.ErrLocked, 500, schemas.CodeInternal, "服务内部错误"},
		{"catalog corrupt", catalog.ErrCorrupt, 500, schemas.CodeInternal, "服务内部错误"},
		{"catalog closed", catalog.ErrClosed, 500, schemas.CodeInternal, "服务内部错误"},
		{"lake not found", lake.ErrNotFound, 404, schemas.CodeNotFound, "不存在"},
		{"lake invalid key", lake.ErrInvalidKey, 400, schemas.CodeInvalid, "请求无效"},
		{"lake checksum", lake.ErrChecksum, 500, schemas.CodeInternal, "服务内部错误"},
		{"lake size", lake.ErrSize, 500, schemas.CodeInternal, "服务内部错误"},
		{"lake manifest", lake.ErrInvalidManifest, 500, schemas.CodeInternal, "服务内部错误"},
		{"lake closed", lake.ErrClosed, 500, schemas.CodeInternal, "服务内部错误"},
		{"query invalid", query.ErrInvalid, 400, schemas.CodeInvalid, "请求无效"},
		{"query not found", query.ErrNotFound, 404, schemas.CodeNotFound, "不存在"},
		{"query unauthenticated", query.ErrUnauthenticated, 401, schemas.CodeUnauthenticated, "未认证"},
		{"query too large", query.ErrTooLarge, 413, schemas.CodeTooLarge, "超过上限"},
		{"query closed", query.ErrClosed, 500, schemas.CodeInternal, "服务内部错误"},
		{"ingest not collectable", ingest.ErrNotCollectable, 409, schemas.CodeConflict, "该目录不可归集"},
		{"ingest bad header", ingest.ErrBadHeader, 422, schemas.CodeInvalid, "表头与目录信息项不符"},
		{"ingest bad header detail", header, 422, schemas.CodeInvalid, "第 4 列“风速”不是该目录的信息项"},
		{"ingest bad encoding", ingest.ErrBadEncoding, 422, schemas.CodeInvalid, "文件编码无法识别"},
		{"ingest format", ingest.ErrUnsupportedFormat, 400, schemas.CodeInvalid, "不支持的文件格式"},
		{"ingest submission", ingest.ErrInvalidSubmission, 400, schemas.CodeInvalid, "报送内容不完整"},
		{"ingest config", ingest.ErrInvalidConfig, 500, schemas.CodeInternal, "服务内部错误"},
		{"forbidden", schemas.ErrForbidden, 403, schemas.CodeForbidden, "无权"},
		{"forbidden with text", schemas.Userf(schemas.ErrForbidden, "无权报送"), 403, schemas.CodeForbidden, "无权报送"},
		{"body too large", &http.MaxBytesError{Limit: 1024}, 413, schemas.CodeTooLarge, "不能超过 1024 字节"},
		{"busy", schemas.ErrBusy, 429, schemas.CodeBusy, "服务繁忙"},
		{"cancelled", context.Canceled, 500, schemas.CodeInternal, "服务内部错误"},
		{"plain", errors.New("open /var/lib/ecolake/tables/x: permission denied"), 500, schemas.CodeInternal, "服务内部错误"},
		{"user text over an internal cause", schemas.Userf(lake.ErrChecksum, "读取拒绝行文件失败"), 500, schemas.CodeInternal, "读取拒绝行文件失败"},
		{"joined", errors.Join(header, catalog.ErrClosed), 422, schemas.CodeInvalid, "第 4 列"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := internals(tc.err)
			assert.Equal(t, tc.status, Status(err))
			assert.Equal(t, tc.code, Code(err))
			msg := Message(err)
			assert.Contains(t, msg, tc.want)
			assert.Regexp(t, `\p{Han}`, msg)
			assert.NotContains(t, msg, "tables/")
			assert.NotContains(t, msg, "resolve")
			if !regexp.MustCompile(`\p{Han}`).MatchString(tc.err.Error()) {
				assert.NotContains(t, msg, tc.err.Error(), "an English sentinel's text is for the log")
			}
			assert.NotRegexp(t, english, knownWords.Replace(msg), "no English internals in %q", msg)
		})
	}
	assert.Equal(t, http.StatusOK, Status(nil))
	assert.Empty(t, Message(nil))
}

func TestWriteError(t *testing.T) {
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))

	rec := httptest.NewRecorder()
	WriteError(rec, log, internals(schemas.Userf(lake.ErrChecksum, "读取拒绝行文件失败")))
	assert.Equal(t, 500, rec.Code)
	assert.JSONEq(t, `{"error":"读取拒绝行文件失败","code":"INTERNAL"}`, rec.Body.String())
	assert.Contains(t, logBuf.String(), "tables/air_daily/rejects/01J0.csv", "the detail goes to the log")
	assert.Contains(t, logBuf.String(), "checksum mismatch", "also the cause behind the user text")

	logBuf.Reset()
	rec = httptest.NewRecorder()
	inv := &schemas.InvalidError{Subject: "目录 0101/000001", Err: catalog.ErrInvalid, Problems: []schemas.Problem{{Field: "name", Message: "必填"}}}
	WriteError(rec, log, fmt.Errorf("put entry: %w", inv))
	assert.Equal(t, 400, rec.Code)
	var body struct {
		Error, Code string
		Problems    []schemas.Problem
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	assert.Equal(t, "INVALID", body.Code)
	assert.Equal(t, []schemas.Problem{{Field: "name", Message: "必填"}}, body.Problems)
	assert.Equal(t, "目录 0101/000001 校验未通过: name: 必填", body.Error, "the problems in Chinese, no sentinel text")
	assert.Empty(t, logBuf.String(), "a caller's mistake is not logged as a failure")

	rec = httptest.NewRecorder()
	WriteError(rec, nil, errors.New("boom")) // a nil log is allowed
	assert.Equal(t, 500, rec.Code)
	assert.NotContains(t, rec.Body.String(), "boom")
}

// TestMessageIsBounded: however long the user text, the message is clipped.
func TestMessageIsBounded(t *testing.T) {
	long := &schemas.UserError{Msg: strings.Repeat("列", 1<<20), Err: schemas.ErrInvalid}
	assert.LessOrEqual(t, len([]rune(Message(long))), schemas.MaxUserMessage)
}
