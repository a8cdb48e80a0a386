package test

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallAnswer bounds every answer below, whatever was submitted before it.
const smallAnswer = 64 << 10

type errorJSON struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// TestErrorsAreBoundedAndChinese submits headers built to blow up error text (hole 7) and checks
// that the answer, the stored run errors and the figures that quote them stay small; that error
// bodies carry a code and a Chinese message without lake keys; and that the command line names
// an unknown entry in Chinese.
func TestErrorsAreBoundedAndChinese(t *testing.T) {
	dir := t.TempDir()
	// Submissions below keep their valid rows beside rejected ones, whatever their share.
	s := startServer(t, dir, nil, "--demo", "--max-rejected-percent", "100")

	t.Run("a header of a million columns", func(t *testing.T) {
		csv := "区县,数量" + strings.Repeat(",x", 1_000_000) + "\n万州区,1\n"
		status, body := submit(t, s, "demo-steward", "0201%2F000003", "报送.csv", []byte(csv), "")
		assert.Equal(t, http.StatusUnprocessableEntity, status, body)
		assert.Less(t, len(body), smallAnswer)
		var e errorJSON
		require.NoError(t, json.Unmarshal([]byte(body), &e), body)
		assert.Equal(t, "INVALID", e.Code)
		assert.Contains(t, e.Error, "超过上限 4096 列")
	})

	t.Run("a 10 MB header cell", func(t *testing.T) {
		csv := "区县,数量," + strings.Repeat("风", 10<<20/3) + "\n万州区,1,x\n"
		status, body := submit(t, s, "demo-steward", "0201%2F000003", "报送.csv", []byte(csv), "")
		assert.Equal(t, http.StatusUnprocessableEntity, status, body)
		assert.Less(t, len(body), smallAnswer)
		var e errorJSON
		require.NoError(t, json.Unmarshal([]byte(body), &e), body)
		assert.Contains(t, e.Error, "不是该目录的信息项")
	})

	t.Run("stored run errors stay small for every reader", func(t *testing.T) {
		r := s.gql("demo-steward", `{ collectionRate { lagging { reasonText } } entries { runs { error } } }`, nil)
		d := r.ok(t)
		assert.Less(t, len(r.Raw), smallAnswer)
		var errs []string
		for _, e := range rows(t, d, "entries") {
			for _, run := range e["runs"].([]any) {
				if msg, ok := run.(map[string]any)["error"].(string); ok {
					errs = append(errs, msg)
				}
			}
		}
		all := strings.Join(errs, "\n")
		assert.Contains(t, all, "超过上限 4096 列", "the refused submission is recorded")
		assert.NotContains(t, all, "tables/")
	})

	t.Run("answers name no lake keys and carry a code", func(t *testing.T) {
		status, body := submit(t, s, "demo-steward", "0201%2F000003", "报送.csv", []byte("区县,数量\n万州区,1\n火星区,2\n"), "")
		assert.Equal(t, http.StatusCreated, status, body)
		assert.Contains(t, body, "拒收")
		assert.NotContains(t, body, "tables/")

		for _, c := range []struct {
			token, code, want string
			status            int
		}{
			{"", "UNAUTHENTICATED", "未认证", http.StatusUnauthorized},
			{"demo-steward", "NOT_FOUND", "未找到目录", http.StatusNotFound},
		} {
			status, body := submit(t, s, c.token, "9999%2F000001", "报送.csv", []byte("区县\n"), "")
			assert.Equal(t, c.status, status, body)
			var e errorJSON
			require.NoError(t, json.Unmarshal([]byte(body), &e), body)
			assert.Equal(t, c.code, e.Code)
			assert.Contains(t, e.Error, c.want)
		}
	})

	s.stop(syscall.SIGTERM)

	t.Run("the command line names an unknown entry in Chinese", func(t *testing.T) {
		file := writeFile(t, "good.csv", "区县,数量\n万州区,5\n")
		cmd := exec.Command(binary, "ingest", "--data", dir, "--entry", "x", file)
		var stdout strings.Builder
		cmd.Stdout = &stdout
		err := cmd.Run()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 2, ee.ExitCode())
		assert.Equal(t, "归集失败: 目录资源 x 不存在\n", stdout.String())
	})
}
