package test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mountTmpfs mounts a tmpfs of sizeMB at a fresh directory and unmounts it when the test ends.
// Mounting needs root (CAP_SYS_ADMIN); without it the test is skipped, saying why.
func mountTmpfs(t *testing.T, sizeMB int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs to fill needs root; this process is not root")
	}
	dir := t.TempDir()
	mountTmpfsAt(t, dir, sizeMB)
	return dir
}

// mountTmpfsAt mounts a tmpfs of sizeMB at the existing directory dir, as mountTmpfs.
func mountTmpfsAt(t *testing.T, dir string, sizeMB int) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs to fill needs root; this process is not root")
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm", sizeMB), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("mount -t tmpfs not permitted here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// fillDisk writes path until the file system holding it has no byte left, and returns the bytes
// written.
func fillDisk(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	require.NoError(t, err)
	defer f.Close()
	var n int64
	for _, size := range []int{1 << 20, 4096, 1} {
		buf := make([]byte, size)
		for {
			m, err := f.Write(buf)
			n += int64(m)
			if err != nil {
				require.True(t, errors.Is(err, syscall.ENOSPC), "fill %s: %v", path, err)
				break
			}
		}
	}
	return n
}

// diskFullMessage is what every refusal for want of space says (catalog.ErrDiskFull, and the
// messages of a failed load and of an unrecordable read).
const diskFullMessage = "磁盘空间不足"

const diskFullEntries = `{ entries { resourceCode name abstract revision } }`

// TestFaultDiskFull fills the file system under the data directory while `ecolake serve` runs, in
// three layouts: the whole data directory on one small tmpfs (journal, lake, audit and temporary
// files run out together), only the catalogue's journal on it, and only the local lake on it.
// While it is full, directory mutations (createEntry, editEntry) are refused where the journal is
// full, and submissions in every layout, with a Chinese message saying the disk is full; the
// service stays up (/healthz) and answers reads, or, where the audit of a read cannot be written,
// refuses it with the same reason: no count read is ever wrong. A load refused by a full lake is
// recorded as a failed run with that message. Once the filler is deleted, the same mutations and
// submission succeed without a restart; after a restart the journal replays clean and the state
// is exactly what was acknowledged. The tmpfs needs root (the CI runner is root); elsewhere the
// test is skipped, saying why.
func TestFaultDiskFull(t *testing.T) {
	for _, layout := range []string{"data", "journal", "lake"} {
		t.Run(layout, func(t *testing.T) {
			var dir, mnt string
			switch layout {
			case "data":
				mnt = mountTmpfs(t, 64)
				dir = filepath.Join(mnt, "data")
			default:
				dir = t.TempDir()
				mnt = filepath.Join(dir, map[string]string{"journal": "catalog", "lake": "lake"}[layout])
				require.NoError(t, os.MkdirAll(mnt, 0o755))
				mountTmpfsAt(t, mnt, 32)
			}
			diskFullRun(t, dir, mnt, layout)
		})
	}
}

func diskFullRun(t *testing.T, dir, mnt, layout string) {
	journalFull := layout != "lake"
	s := startServer(t, dir, nil, "--demo")
	csv := filepath.Join(t.TempDir(), "stations.csv")
	faultCSV(t, csv, 5000, 1)
	code, body, err := postFile(s.base, csv)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, code, body)
	rows0 := loadRows(t, s)
	first := createDiskFullEntry(t, s, 1).ok(t)["createEntry"].(map[string]any)["resourceCode"].(string)
	rev := s.gql("demo-steward", `query($c: String!) { entry(code: $c) { revision } }`, map[string]any{"c": first}).ok(t)["entry"].(map[string]any)["revision"]
	faultCSV(t, csv, 5000, 2)

	filler := filepath.Join(mnt, "filler")
	fillDisk(t, filler)
	fillers := []string{filler}
	var slack []string // entries created after the disk filled, acknowledged
	var second string
	if journalFull {
		// The last page of the journal's file may still have room for a few small commands: they
		// are taken (and acknowledged) until the journal needs a page the file system does not have.
		// Space the service frees meanwhile (a file it was writing when the disk filled, dropped
		// on its failure) is filled again every ten commands taken.
		for k := 100; ; k++ {
			require.Less(t, k, 200, "small commands are still taken on a full disk")
			if len(slack) > 0 && len(slack)%10 == 0 {
				more := fmt.Sprintf("%s-%d", filler, len(fillers))
				fillDisk(t, more)
				fillers = append(fillers, more)
			}
			r := s.gql("demo-steward", `mutation($in: EntryInput!) { createEntry(input: $in) { resourceCode name } }`,
				map[string]any{"in": diskFullEntry(k, 1)})
			if len(r.Errors) > 0 {
				assertDiskFull(t, r)
				break
			}
			e := r.Data["createEntry"].(map[string]any)
			slack = append(slack, e["resourceCode"].(string)+" "+e["name"].(string))
		}
		t.Logf("%d small commands taken after the disk filled", len(slack))
		// Refused while full, in Chinese, saying why.
		assertDiskFull(t, createDiskFullEntry(t, s, 2))
		assertDiskFull(t, editDiskFullEntry(s, first, rev))
	}
	code, body, err = postFile(s.base, csv)
	require.NoError(t, err)
	assert.Equal(t, http.StatusTooManyRequests, code, body)
	assert.Contains(t, body, diskFullMessage, "the submitter is told the disk is full")
	assert.NotContains(t, body, "no space left", "no internal text reaches the submitter")

	// Up, and reads are answered with the committed rows (or refused for the audit, saying so).
	resp, err := http.Get(s.base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	for range 20 {
		r := s.gql("demo-steward", `{ air_station_hourly_aggregate { count } }`, nil)
		if layout != "data" || len(r.Errors) == 0 {
			assert.EqualValues(t, rows0, num(t, rows(t, r.ok(t), "air_station_hourly_aggregate")[0]["count"]))
		} else {
			assert.Contains(t, r.errText(), diskFullMessage, r.Raw)
			assert.Nil(t, r.Data, r.Raw)
		}
	}

	// Space freed: the same commands succeed, without a restart.
	for _, f := range fillers {
		require.NoError(t, os.Remove(f))
	}
	if journalFull {
		second = createDiskFullEntry(t, s, 2).ok(t)["createEntry"].(map[string]any)["resourceCode"].(string)
		edited := editDiskFullEntry(s, first, rev).ok(t)["editEntry"].(map[string]any)
		assert.Equal(t, "磁盘满试验目录1（修订）", edited["name"])
	}
	code, body, err = postFile(s.base, csv)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, code, body)
	assert.Equal(t, rows0+5000, loadRows(t, s))
	entries := s.gql("demo-steward", diskFullEntries, nil).ok(t)
	const runsQuery = `{ entry(code: "0101/000001") { runs { status error } } }`
	runs := s.gql("demo-steward", runsQuery, nil).ok(t)
	s.stop(syscall.SIGTERM)

	// A restart replays the journal: exactly the acknowledged commands.
	s = startServer(t, dir, nil, "--demo")
	assert.Equal(t, rows0+5000, loadRows(t, s))
	assert.Equal(t, entries, s.gql("demo-steward", diskFullEntries, nil).ok(t))
	var names []string
	for _, e := range rows(t, entries, "entries") {
		if strings.HasPrefix(e["name"].(string), "磁盘满试验目录") {
			names = append(names, e["resourceCode"].(string)+" "+e["name"].(string))
		}
	}
	want := append(slack, first+" 磁盘满试验目录1（修订）", second+" 磁盘满试验目录2")
	if !journalFull {
		want = []string{first + " 磁盘满试验目录1"}
	}
	assert.ElementsMatch(t, want, names)
	assert.Equal(t, runs, s.gql("demo-steward", runsQuery, nil).ok(t), "the runs are as acknowledged")
	var succeeded int
	var failed []string
	for _, run := range rows(t, runs["entry"].(map[string]any), "runs") {
		switch run["status"] {
		case "SUCCEEDED":
			succeeded++
		case "FAILED":
			failed = append(failed, run["error"].(string))
		default:
			t.Errorf("a run left %v: %v", run["status"], run)
		}
	}
	assert.Equal(t, 3, succeeded, "the demo load and the two acknowledged submissions: %v", runs)
	if journalFull {
		// The journal refused the submission's commit. Whether it had room left for the run's
		// small commands (its begin, then its failure) depends on where the last page of the
		// journal ends: either nothing of the refused submission is recorded, or it is a failed
		// run that says the disk was full.
		assert.LessOrEqual(t, len(failed), 1, "at most the refused submission failed: %v", runs)
		for _, f := range failed {
			assert.Contains(t, f, diskFullMessage)
		}
	} else {
		require.Len(t, failed, 1, "the load refused by a full lake is a failed run: %v", runs)
		assert.Contains(t, failed[0], diskFullMessage)
	}
	assert.NotContains(t, s.out.String(), "level=ERROR msg=\"catalog", "the journal replays clean")
	s.stop(syscall.SIGTERM)
}

func assertDiskFull(t *testing.T, r gqlResponse) {
	t.Helper()
	require.NotEmpty(t, r.Errors, r.Raw)
	assert.Contains(t, r.errText(), diskFullMessage, r.Raw)
}

func createDiskFullEntry(t *testing.T, s *server, k int) gqlResponse {
	t.Helper()
	return s.gql("demo-steward", `mutation($in: EntryInput!) { createEntry(input: $in) { resourceCode status } }`,
		map[string]any{"in": diskFullEntry(k, 180)})
}

// editDiskFullEntry renames entry code and gives it a long abstract (a record larger than a page).
func editDiskFullEntry(s *server, code string, rev any) gqlResponse {
	return s.gql("demo-steward", `mutation($c: String!, $b: Long!, $in: EntryInput!) { editEntry(code: $c, base: $b, input: $in) { status name } }`,
		map[string]any{"c": code, "b": rev, "in": map[string]any{"name": "磁盘满试验目录1（修订）",
			"abstract": strings.Repeat("修订后的摘要: 各区县断面逐周水质监测结果汇总。", 150)}})
}

// diskFullEntry is the input of a new entry with an abstract of the given number of sentences;
// with 180 its journal record is larger than a page, so that its write needs space a full file
// system does not have.
func diskFullEntry(k, abstract int) map[string]any {
	return map[string]any{
		"name": fmt.Sprintf("磁盘满试验目录%d", k), "category": "地表水环境质量", "providerName": "重庆市生态环境局", "providerCode": "11500000MB1534567X",
		"abstract": strings.Repeat("各区县断面逐周水质监测结果汇总。", abstract), "formatType": "DATABASE", "shareMode": "TABLE", "updateCycle": "WEEKLY",
		"department": "DIV_AIR", "district": "500000", "sourceKind": "DISTRICT_SUBMISSION", "domains": []any{"WATER"},
		"items": []any{map[string]any{"name": "断面", "field": "section", "type": "STRING", "grade": "GENERAL_1", "isKey": true, "required": true}},
	}
}
