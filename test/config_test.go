package test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ecolakeEnv runs the binary with extra environment and returns its exit code and output.
func ecolakeEnv(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, string(out))
	return 0, string(out)
}

// TestConfigCheck runs `ecolake config check` as an operator would, on the documented example and
// on a file with one of each kind of mistake.
func TestConfigCheck(t *testing.T) {
	code, out := ecolakeEnv(t, []string{"ECOLAKE_S3_SECRET_KEY=do-not-print-me", "ECOLAKE_AUDIT_DAYS=200"},
		"config", "check", "../examples/ecolake.toml")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "配置有效 (serve): 配置文件 ../examples/ecolake.toml")
	assert.Regexp(t, `audit-days += 200 +\(环境变量 ECOLAKE_AUDIT_DAYS\)`, out)
	assert.Contains(t, out, "[redacted]")
	assert.NotContains(t, out, "do-not-print-me")

	bad := writeFile(t, "ecolake.toml", `addr = "0.0.0.0:8080"
cache-mb = "lots"
schedule-tik = "15s"

[s3]
secure = "yes please"
`)
	code, out = ecolake(t, "config", "check", bad)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "配置有误 (3 处):")
	assert.Contains(t, out, "第 2 行 cache-mb: 取值 \"lots\" 无效: 应为正整数")
	assert.Contains(t, out, "第 3 行 schedule-tik: 未知的配置项 (没有子命令有选项 --schedule-tik); 是否应为 schedule-tick?")
	assert.Contains(t, out, "第 6 行 s3.secure: 取值 \"yes please\" 无效: 应为 true 或 false")

	broken := writeFile(t, "ecolake.toml", "addr = \"x\"\n[s3\nendpoint = \"y\"\n")
	code, out = ecolake(t, "config", "check", broken)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "第 2 行第")
	assert.Contains(t, out, "不是有效的 TOML")
}

// TestServeWithConfigFile starts serve with its settings in a file named by ECOLAKE_CONFIG: the
// file's demo and JSON logs are in force, and its address is overridden by the command line
// (startServer passes --addr), which is where the server answers.
func TestServeWithConfigFile(t *testing.T) {
	file := writeFile(t, "ecolake.toml", `addr = "127.0.0.1:1"   # the command line wins
demo = true
log-format = "json"
scheduler = false
`)
	s := startServer(t, t.TempDir(), []string{"ECOLAKE_CONFIG=" + file})
	d := s.gql("demo-public", `{ air_emission_reduction_counts_aggregate { count } }`, nil).ok(t)
	assert.EqualValues(t, 41, num(t, rows(t, d, "air_emission_reduction_counts_aggregate")[0]["count"]))
	s.stop(syscall.SIGTERM)

	serving := false
	for _, line := range strings.Split(strings.TrimSpace(s.out.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "not a JSON log line: %s", line)
		if rec["msg"] == "serving" {
			serving = true
			assert.Equal(t, true, rec["demo"])
			assert.Equal(t, strings.TrimPrefix(s.base, "http://"), rec["addr"])
		}
	}
	assert.True(t, serving, s.out.String())

	bad := writeFile(t, "ecolake.toml", "scheduler = \"on\"\n")
	code, out := ecolake(t, "serve", "--data", t.TempDir(), "--config", bad)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "scheduler: 取值 \"on\" 无效: 应为 true 或 false")
}
