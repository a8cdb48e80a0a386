package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// backupLoad is one submission made while the service was being backed up.
type backupLoad struct {
	started, answered time.Time
	status            int
	body              string
}

// backupQuery is one read made while the service was being backed up.
type backupQuery struct {
	answered time.Time
	rows     int64
	err      error
}

// stationRows asks the service for the rows of faultEntry with token.
func stationRows(base, token string) (int64, error) {
	body, _ := json.Marshal(map[string]any{"query": `{ air_station_hourly_aggregate { count } }`})
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r struct {
		Data struct {
			Agg []struct{ Count int64 } `json:"air_station_hourly_aggregate"`
		}
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal(raw, &r); err != nil || resp.StatusCode != http.StatusOK || len(r.Errors) > 0 || len(r.Data.Agg) != 1 {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	return r.Data.Agg[0].Count, nil
}

// backupOthers reads entries no load touches during the backup.
const backupOthers = `{ air_emission_reduction_counts_aggregate { count sum { enterprise_count } }
	air_autumn_winter_targets(orderBy: [{field: district_code}]) { district_code pm25_target } }`

// submitAs submits a CSV file of station rows to faultEntry with token.
func submitAs(base, token, path string) (int, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, "", err
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "stations.csv")
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, base+"/api/v1/entries/0101%2F000001/submissions", &buf)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), nil
}

var backupIndexRE = regexp.MustCompile(`目录库索引 (\d+)`)

// TestBackupWhileServing takes a backup of a running service through `ecolake backup --server`
// while submissions commit and queries are answered, restores it into a new data directory and
// serves that: the restored service holds the rows of one catalogue index, between the loads
// answered before the backup began and those begun before it ended, and every other entry as it
// was. Around it: a token that may not back up is refused in Chinese and leaves no set; restore
// refuses a set without its description and a data directory that is not empty.
func TestBackupWhileServing(t *testing.T) {
	// The demo's entries and data, then real accounts beside them (the demo tokens open nothing
	// from then on): an administrator cleared for core data, one cleared below it, a steward.
	dir := filepath.Join(t.TempDir(), "data")
	startServer(t, dir, nil, "--demo").stop(syscall.SIGTERM)
	tokens := map[string]string{}
	for _, p := range [][]string{
		{"ops", "运维管理员", "admin", "CORE", ""},
		{"ops-important", "运维(重要数据)", "admin", "IMPORTANT", ""},
		{"loader", "报送员", "steward", "CORE", "DIV_AIR"},
	} {
		args := []string{"principal", "create", "--data", dir, "--id", p[0], "--name", p[1], "--role", p[2], "--clearance", p[3]}
		if p[4] != "" {
			args = append(args, "--department", p[4])
		}
		code, out := ecolake(t, args...)
		require.Equal(t, 0, code, out)
		code, out = ecolake(t, "token", "create", "--data", dir, "--principal", p[0])
		require.Equal(t, 0, code, out)
		tokens[p[0]] = oneMatch(t, secretRE, out)
	}
	admin, lowAdmin, loader := tokens["ops"], tokens["ops-important"], tokens["loader"]
	var (
		code int
		out  string
	)

	s := startServer(t, dir, nil)
	const perLoad = 20000
	tmp := t.TempDir()
	file := func(k int) string {
		p := filepath.Join(tmp, fmt.Sprintf("load-%d.csv", k))
		faultCSV(t, p, perLoad, 5000+k)
		return p
	}
	// Two loads before the backup, so that the set holds several snapshots of the entry.
	for k := range 2 {
		code, body, err := submitAs(s.base, loader, file(k))
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, code, body)
	}
	base, err := stationRows(s.base, admin)
	require.NoError(t, err)
	others := s.gql(admin, backupOthers, nil).ok(t)

	// Refusals first: they must leave nothing behind and not disturb the backup that follows.
	for _, tok := range []string{loader, lowAdmin} {
		refused := filepath.Join(t.TempDir(), "refused")
		code, out = ecolakeEnv(t, []string{"ECOLAKE_TOKEN=" + tok}, "backup", "--server", s.base, "--to", refused)
		assert.NotEqual(t, 0, code, out)
		assert.Contains(t, out, "服务拒绝备份 (HTTP 403): 无权操作: 只有密级上限为核心数据的系统管理员可以备份")
		_, err := os.Stat(filepath.Join(refused, "backup.json"))
		assert.ErrorIs(t, err, os.ErrNotExist)
	}
	code, out = ecolakeEnv(t, []string{"ECOLAKE_TOKEN="}, "backup", "--server", s.base, "--to", filepath.Join(t.TempDir(), "x"))
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "ECOLAKE_TOKEN")

	// Loads and reads go on while the backup runs.
	var (
		mu      sync.Mutex
		loads   []backupLoad
		queries []backupQuery
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for k := 2; ; k++ {
			select {
			case <-stop:
				return
			default:
			}
			l := backupLoad{started: time.Now()}
			var err error
			l.status, l.body, err = submitAs(s.base, loader, file(k))
			if err != nil {
				l.body = err.Error()
			}
			l.answered = time.Now()
			mu.Lock()
			loads = append(loads, l)
			mu.Unlock()
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, err := stationRows(s.base, loader)
			mu.Lock()
			queries = append(queries, backupQuery{answered: time.Now(), rows: n, err: err})
			mu.Unlock()
		}
	}()
	// Let the first load of the loop land before the backup starts.
	for {
		mu.Lock()
		n := len(loads)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	set := filepath.Join(t.TempDir(), "set")
	began := time.Now()
	code, out = ecolakeEnv(t, []string{"ECOLAKE_TOKEN=" + admin}, "backup", "--server", s.base, "--to", set, "--with-objects")
	ended := time.Now()
	close(stop)
	wg.Wait()
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "备份完成")
	m := backupIndexRE.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	index, _ := strconv.ParseUint(m[1], 10, 64)

	var before, begun, during int
	for _, l := range loads {
		require.Equal(t, http.StatusCreated, l.status, "a submission failed while the backup ran: %s", l.body)
		if l.answered.Before(began) {
			before++
		}
		if l.started.Before(ended) {
			begun++
		}
		if l.answered.After(began) && l.answered.Before(ended) {
			during++
		}
	}
	var answered int
	for _, q := range queries {
		require.NoError(t, q.err, "a query failed while the backup ran")
		if q.answered.After(began) && q.answered.Before(ended) {
			answered++
		}
	}
	assert.Positive(t, answered, "the service answered queries while the backup ran")
	t.Logf("backup at index %d took %v: %d loads before, %d answered during, %d begun before its end; %d queries answered during",
		index, ended.Sub(began).Round(time.Millisecond), before, during, begun, answered)
	final, err := stationRows(s.base, admin)
	require.NoError(t, err)
	s.stop(syscall.SIGTERM)

	// Restore refuses a set without its description (as a killed backup leaves it) and a data
	// directory that is not empty, writing nothing.
	cut := filepath.Join(t.TempDir(), "cut")
	require.NoError(t, os.CopyFS(cut, os.DirFS(set)))
	require.NoError(t, os.Remove(filepath.Join(cut, "backup.json")))
	target := filepath.Join(t.TempDir(), "restored-cut")
	code, out = ecolake(t, "restore", "--from", cut, "--data", target)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "这不是完整的备份: 缺少说明文件 backup.json (备份可能在完成前中断)")
	_, err = os.Stat(target)
	assert.ErrorIs(t, err, os.ErrNotExist)
	busy := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(busy, "notes.txt"), []byte("keep"), 0o644))
	code, out = ecolake(t, "restore", "--from", set, "--data", busy)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "不为空 (已有 notes.txt)")
	names, err := os.ReadDir(busy)
	require.NoError(t, err)
	assert.Len(t, names, 1, "a refused restore writes nothing into the directory")

	restored := filepath.Join(t.TempDir(), "restored")
	code, out = ecolake(t, "restore", "--from", set, "--data", restored)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, fmt.Sprintf("恢复完成: %s\n  目录库索引 %d:", restored, index))

	// The admin's token, restored with the catalogue, reads the restored service.
	r := startServer(t, restored, nil)
	got, err := stationRows(r.base, admin)
	require.NoError(t, err)
	loaded := got - base
	assert.Zero(t, loaded%perLoad, "the restored entry holds whole loads only: %d rows over the %d before", got, base)
	assert.GreaterOrEqual(t, loaded/perLoad, int64(before), "every load answered before the backup began is in it")
	assert.LessOrEqual(t, loaded/perLoad, int64(begun), "no load begun after the backup ended is in it")
	assert.LessOrEqual(t, got, final)
	assert.Equal(t, others, r.gql(admin, backupOthers, nil).ok(t), "the other entries as they were")
	r.stop(syscall.SIGTERM)
}
