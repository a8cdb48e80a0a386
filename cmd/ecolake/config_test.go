package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/internal/app"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ecolake.toml")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// commandFlags is the parsed flag set of a command, as run makes it.
func commandFlags(t *testing.T, name string, args ...string) (*flag.FlagSet, *app.Config) {
	t.Helper()
	c := lookup(name)
	require.NotNil(t, c, name)
	cfg := app.DefaultConfig()
	fs, _ := flags(c, &cfg)
	_, err := parseInterspersed(fs, args)
	require.NoError(t, err)
	return fs, &cfg
}

func TestConfigPrecedence(t *testing.T) {
	file := writeFile(t, `
addr = "file:1"
audit-days = 30
cache-mb = 16
result-cache-mb = 8
[s3]
region = "file-region"
access-key = "file-ak"
`)
	fs, cfg := commandFlags(t, "serve", "--addr", "cli:2", "--result-cache-mb", "4")
	l, errs := applyConfig(fs, file, envOf(map[string]string{
		"ECOLAKE_AUDIT_DAYS":        "7",
		"ECOLAKE_ADDR":              "env:3", // the command line wins
		"ECOLAKE_S3_ACCESS_KEY":     "",      // empty is unset: the file's value stays
		"ECOLAKE_S3_SECRET_KEY":     "env-secret",
		"ECOLAKE_OPENLINEAGE_TOKEN": "env-token",
		"ECOLAKE_CODELISTS":         "/etc/codes",
	}))
	require.Empty(t, errs)
	assert.Equal(t, "cli:2", cfg.Addr, "command line over environment and file")
	assert.EqualValues(t, 4, cfg.ResultCacheMB, "command line over file")
	assert.Equal(t, 7, cfg.AuditRetentionDays, "environment over file")
	assert.EqualValues(t, 16<<20, cfg.CacheMaxBytes, "file over default, through the flag's own parser")
	assert.Equal(t, "file-region", cfg.S3.Region, "a table is a prefix of the flag name")
	assert.Equal(t, "file-ak", cfg.S3.AccessKey)
	assert.Equal(t, "env-secret", string(cfg.S3.SecretKey), "the old environment names keep working")
	assert.Equal(t, "env-token", cfg.OpenLineageToken)
	assert.Equal(t, "/etc/codes", cfg.CodeLists)
	assert.Equal(t, app.DefaultConfig().NativeCacheMB, cfg.NativeCacheMB, "untouched flags keep their default")
	assert.Equal(t, "命令行", l.origin["addr"])
	assert.Equal(t, "环境变量 ECOLAKE_AUDIT_DAYS", l.origin["audit-days"])
	assert.Equal(t, "配置文件 第 4 行", l.origin["cache-mb"])
}

func TestConfigRepeatableFlagTakesOneLayer(t *testing.T) {
	var got []string
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.Func("district", "", func(v string) error { got = append(got, v); return nil })
	file := writeFile(t, `district = ["万州区", "涪陵区"]`)

	_, errs := applyConfig(fs, file, envOf(nil))
	require.Empty(t, errs)
	assert.Equal(t, []string{"万州区", "涪陵区"}, got, "an array gives each element to the flag")

	got = nil
	fs = flag.NewFlagSet("t", flag.ContinueOnError)
	fs.Func("district", "", func(v string) error { got = append(got, v); return nil })
	_, errs = applyConfig(fs, file, envOf(map[string]string{"ECOLAKE_DISTRICT": "渝中区"}))
	require.Empty(t, errs)
	assert.Equal(t, []string{"渝中区"}, got, "the environment replaces the file's values rather than adding to them")
}

func TestConfigFileProblems(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"syntax", "addr = \"x\"\ncache-mb = = 3\n", []string{"第 2 行第", "不是有效的 TOML"}},
		{"unknown key near a known one", "\n\ns3-endpont = \"x\"\n", []string{"第 3 行 s3-endpont", "未知的配置项", "是否应为 s3-endpoint?"}},
		{"unknown key in a table", "[s3]\nendpont = \"x\"\n", []string{"第 2 行 s3.endpont", "是否应为 s3-endpoint?"}},
		{"unknown key far from any", "frobnicate-the-lake = 1\n", []string{"第 1 行 frobnicate-the-lake: 未知的配置项 (没有子命令有选项 --frobnicate-the-lake)"}},
		{"bad value, the flag's own message", "cache-mb = -3\n", []string{"第 1 行 cache-mb: 取值 \"-3\" 无效: 应为正整数 (MiB)"}},
		{"bad integer", "audit-days = \"abc\"\n", []string{"audit-days: 取值 \"abc\" 无效: 应为整数"}},
		{"bad duration", "realtime-poll = 300\n", []string{"realtime-poll: 取值 \"300\" 无效: 应为时长"}},
		{"bad boolean in a table", "[s3]\nsecure = \"maybe\"\n", []string{"第 2 行 s3.secure: 取值 \"maybe\" 无效: 应为 true 或 false"}},
		{"bad choice", "log-format = \"xml\"\n", []string{"log-format: 取值 \"xml\" 无效: 应为 text、json 之一"}},
		{"same flag twice", "s3-region = \"a\"\n[s3]\nregion = \"b\"\n", []string{"第 3 行 s3.region: 与第 1 行的 s3-region 是同一个选项 --s3-region"}},
		{"nested array", "district = [[\"a\"]]\n", []string{"district: 选项的取值应为文本、数字、真假值或它们的数组"}},
		{"config inside config", "config = \"other.toml\"\n", []string{"配置文件中不能再指定配置文件"}},
		{"numbers and booleans given to text flags", "s3-secret-key = 5\nopenlineage-token = true\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, _ := commandFlags(t, "serve")
			file := writeFile(t, tc.file)
			_, errs := applyConfig(fs, file, envOf(nil))
			if tc.want == nil {
				assert.Empty(t, errs)
				return
			}
			require.NotEmpty(t, errs)
			text := errs[0].Error()
			assert.Contains(t, text, "配置文件 "+file)
			for _, w := range tc.want {
				assert.Contains(t, text, w)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		fs, _ := commandFlags(t, "serve")
		_, errs := applyConfig(fs, filepath.Join(t.TempDir(), "none.toml"), envOf(nil))
		require.Len(t, errs, 1)
		assert.Contains(t, errs[0].Error(), "文件不存在")
	})
	t.Run("bad environment value names the variable", func(t *testing.T) {
		fs, _ := commandFlags(t, "serve")
		_, errs := applyConfig(fs, "", envOf(map[string]string{"ECOLAKE_S3_SECURE": "yes", "ECOLAKE_S3_SECRET_KEY": "s3cr3t"}))
		require.Len(t, errs, 1)
		assert.Equal(t, `环境变量 ECOLAKE_S3_SECURE: 取值 "yes" 无效: 应为 true 或 false`, errs[0].Error())
	})
}

func TestConfigKeyOfAnotherCommandIsIgnored(t *testing.T) {
	file := writeFile(t, "min-age = \"not a duration\"\n")
	fs, _ := commandFlags(t, "serve")
	_, errs := applyConfig(fs, file, envOf(nil))
	assert.Empty(t, errs, "serve has no --min-age: gc's key is not serve's business")

	fs, _ = commandFlags(t, "gc")
	_, errs = applyConfig(fs, file, envOf(nil))
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), "min-age: 取值 \"not a duration\" 无效: 应为时长")
}

// exampleKeys are the keys examples/ecolake.toml documents, commented out or not, and the file
// with every documented line in force.
func exampleKeys(t *testing.T) (map[string]bool, string) {
	t.Helper()
	raw, err := os.ReadFile("../../examples/ecolake.toml")
	require.NoError(t, err)
	keyLine := regexp.MustCompile(`^# ?((?:\[[a-z0-9-]+\])|(?:[a-z][a-z0-9-]* = .*))$`)
	var b strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		if m := keyLine.FindStringSubmatch(strings.TrimRight(strings.SplitN(line, "  #", 2)[0], " ")); m != nil {
			line = m[1]
		}
		b.WriteString(line + "\n")
	}
	path := writeFile(t, b.String())
	settings, errs := readConfigFile(path)
	require.Empty(t, errs)
	keys := map[string]bool{}
	for _, s := range settings {
		keys[s.name] = true
	}
	return keys, path
}

// TestExampleDocumentsEveryFlag keeps examples/ecolake.toml up with the flags: every flag of
// serve, and every flag all the commands on the lake share, has its key there, and the file with
// every documented default in force is a good configuration.
func TestExampleDocumentsEveryFlag(t *testing.T) {
	keys, path := exampleKeys(t)
	require.NotEmpty(t, keys)
	shared := map[string]int{}
	lakeCommands := 0
	for _, c := range commands {
		if !c.lake {
			continue
		}
		lakeCommands++
		cfg := app.DefaultConfig()
		fs, _ := flags(c, &cfg)
		fs.VisitAll(func(f *flag.Flag) { shared[f.Name]++ })
	}
	fs, _ := commandFlags(t, "serve")
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "config" {
			assert.True(t, keys[f.Name], "serve's --%s has no key in examples/ecolake.toml", f.Name)
		}
	})
	for name, n := range shared {
		if n == lakeCommands && name != "config" {
			assert.True(t, keys[name], "--%s of every lake command has no key in examples/ecolake.toml", name)
		}
	}
	known := map[string]bool{}
	for _, k := range knownFlags() {
		known[k] = true
	}
	for k := range keys {
		assert.True(t, known[k], "examples/ecolake.toml documents %q, which no command has", k)
	}

	var out bytes.Buffer
	code := run([]string{"config", "check", path}, &out, &out)
	assert.Equal(t, app.ExitOK, code, out.String())
}

func TestRunConfigCheck(t *testing.T) {
	t.Setenv("ECOLAKE_S3_SECRET_KEY", "very-secret-value")
	t.Setenv("ECOLAKE_CONFIG", "")
	good := writeFile(t, "addr = \"0.0.0.0:9090\"\nlake = \"s3://eco/lake\"\n[s3]\nendpoint = \"minio:9000\"\naccess-key = \"ak\"\n")
	var out, errb bytes.Buffer
	code := run([]string{"config", "check", good}, &out, &errb)
	require.Equal(t, app.ExitOK, code, out.String()+errb.String())
	assert.Contains(t, out.String(), "配置有效 (serve): 配置文件 "+good)
	assert.Regexp(t, `addr += 0\.0\.0\.0:9090 +\(配置文件 第 1 行\)`, out.String())
	assert.Regexp(t, `s3-secret-key += \[redacted\] +\(环境变量 ECOLAKE_S3_SECRET_KEY\)`, out.String())
	assert.NotContains(t, out.String(), "very-secret-value")

	// Validate runs last: an S3 lake without its endpoint is refused, though every key is good.
	bad := writeFile(t, "lake = \"s3://eco/lake\"\n")
	out.Reset()
	code = run([]string{"config", "check", "--config", bad}, &out, &errb)
	assert.Equal(t, app.ExitFailed, code)
	assert.Contains(t, out.String(), "整体配置: lake \"s3://eco/lake\"")

	// The file may come from ECOLAKE_CONFIG.
	t.Setenv("ECOLAKE_CONFIG", writeFile(t, "cache-mb = 0\n"))
	out.Reset()
	code = run([]string{"config", "check"}, &out, &errb)
	assert.Equal(t, app.ExitFailed, code)
	assert.Contains(t, out.String(), "第 1 行 cache-mb: 取值 \"0\" 无效")
}

func TestRunRefusesBadConfigBeforeOpening(t *testing.T) {
	t.Setenv("ECOLAKE_CONFIG", "")
	data := filepath.Join(t.TempDir(), "data")
	file := writeFile(t, "data = \""+data+"\"\nmin-age = \"soon\"\n")
	var out, errb bytes.Buffer
	code := run([]string{"gc", "--config", file}, &out, &errb)
	assert.Equal(t, app.ExitFailed, code)
	assert.Contains(t, errb.String(), "配置有误:\n  配置文件 "+file+" 第 2 行 min-age: 取值 \"soon\" 无效: 应为时长")
	assert.NoDirExists(t, data, "nothing is opened on a bad configuration")
}

func TestLogFlags(t *testing.T) {
	t.Setenv("ECOLAKE_CONFIG", "")
	data := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"gc", "--dry-run", "--data", data, "--log-format", "json", "--log-level", "debug"}, &out, &errb)
	require.Equal(t, app.ExitOK, code, errb.String())
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	require.NotEmpty(t, lines)
	for _, l := range lines {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &rec), "not a JSON log line: %s", l)
		assert.Contains(t, rec, "msg")
	}

	errb.Reset()
	t.Setenv("ECOLAKE_LOG_LEVEL", "error") // every flag has its environment variable
	code = run([]string{"gc", "--dry-run", "--data", data}, &out, &errb)
	require.Equal(t, app.ExitOK, code)
	assert.Empty(t, errb.String(), "gc logs at info, below error")

	for _, tc := range []struct {
		args    []string
		verbose bool
		json    bool
		level   slog.Level
	}{
		{nil, false, false, slog.LevelWarn},
		{nil, true, false, slog.LevelInfo},
		{[]string{"--log-level", "DEBUG"}, false, false, slog.LevelDebug},
		{[]string{"--log-level", "error", "--log-format", "json"}, true, true, slog.LevelError},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		commonFlags(fs)
		require.NoError(t, fs.Parse(tc.args))
		var w bytes.Buffer
		log := newLogger(&w, fs, tc.verbose)
		assert.True(t, log.Enabled(context.Background(), tc.level), "%v", tc.args)
		assert.False(t, log.Enabled(context.Background(), tc.level-1), "%v", tc.args)
		log.Error("x", "err", "e")
		assert.Equal(t, tc.json, strings.HasPrefix(w.String(), "{"), w.String())
	}

	errb.Reset()
	code = run([]string{"gc", "--log-level", "loud"}, &out, &errb)
	assert.Equal(t, app.ExitFailed, code)
	assert.Contains(t, errb.String(), `选项 --log-level 的取值 "loud" 无效: 应为 debug、info、warn、error 之一`)
}

func TestSecondSignalForcesExit(t *testing.T) {
	ch := make(chan os.Signal, 2)
	var logs bytes.Buffer
	exited := make(chan int, 1)
	released := false
	ctx, stop := watchSignals(context.Background(), ch, slog.New(slog.NewTextHandler(&logs, nil)),
		func(code int) { exited <- code }, func() { released = true })
	defer stop()

	ch <- syscall.SIGINT
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first signal did not cancel the context")
	}
	select {
	case code := <-exited:
		t.Fatalf("the first signal forced the exit (%d)", code)
	case <-time.After(50 * time.Millisecond):
	}

	ch <- syscall.SIGTERM
	select {
	case code := <-exited:
		assert.Equal(t, 143, code, "128 + SIGTERM")
	case <-time.After(5 * time.Second):
		t.Fatal("the second signal did not force the exit")
	}
	assert.Contains(t, logs.String(), "second signal: forced exit")
	stop()
	assert.True(t, released)
}

func TestNoSignalNoExit(t *testing.T) {
	ch := make(chan os.Signal, 2)
	ctx, stop := watchSignals(context.Background(), ch, slog.New(slog.DiscardHandler),
		func(code int) { t.Errorf("exit %d without a signal", code) }, func() {})
	stop()
	assert.Error(t, ctx.Err(), "stop cancels the context")
}
