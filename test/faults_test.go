package test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The kill -9 fault trials. Each trial kills a process of the binary at a random point of one
// phase (a load by `ecolake ingest`, a submission to a running `ecolake serve`, the moment a load
// commits, the catalogue checkpoint a process writes as it ends, `ecolake gc`, `ecolake backup`)
// and then restarts as an operator would, proving DESIGN.md invariants 1–3 each time:
//   - the catalogue opens: the journal and checkpoint replay clean;
//   - 0 partial snapshots: every snapshot of every entry has its manifest, and every file of it is
//     there with the size, SHA-256 and rows the manifest records;
//   - 0 committed rows lost: every entry keeps its rows, the loaded entry shows either the rows
//     before the killed load or those plus all of the load's rows, and a load that reported its
//     commit before the kill has all of them;
//   - `ecolake gc` then runs clean and every object referenced before it is still there, intact;
//   - a backup set a kill cut short (no backup.json) is refused by `ecolake restore`, which
//     writes nothing; one the backup finished restores.
//
// ECOLAKE_FAULT_TRIALS is the number of trials per lake (default: each phase once, the short
// version `make test` runs); `make faults` runs 200. ECOLAKE_FAULT_SEED replays the random delays of
// a run (the seed is printed). The table goes to the test log and to test-output/faults.txt.

const faultEntry = "0101/000001" // air_station_hourly

func faultSettings(t *testing.T) (trials int, seed uint64) {
	trials = len(faultPhases)
	if v := os.Getenv("ECOLAKE_FAULT_TRIALS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "ECOLAKE_FAULT_TRIALS=%q", v)
		require.Positive(t, n, "ECOLAKE_FAULT_TRIALS")
		trials = n
	}
	seed = uint64(time.Now().UnixNano())
	if v := os.Getenv("ECOLAKE_FAULT_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "ECOLAKE_FAULT_SEED=%q", v)
		seed = n
	}
	return trials, seed
}

func TestFaultKills(t *testing.T) {
	trials, seed := faultSettings(t)
	t.Logf("fault trials: %d per lake, seed %d (replay with ECOLAKE_FAULT_SEED=%d)", trials, seed, seed)
	var rows []faultRow
	var spent []string
	for i, name := range []string{"local", "minio"} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			dir := t.TempDir()
			fl := localFaultLake(dir)
			if name == "minio" {
				fl = minioFaultLake(t)
			}
			r := newFaultRun(t, dir, fl, rand.New(rand.NewPCG(seed, uint64(i))), trials)
			for k := range trials {
				r.trial(k, faultPhases[k%len(faultPhases)])
			}
			rows = append(rows, r.table()...)
			spent = append(spent, fmt.Sprintf("%s %s", name, time.Since(start).Round(time.Second)))
		})
	}
	report := faultReport(rows, trials, seed, spent)
	t.Log("\n" + report)
	require.NoError(t, os.MkdirAll(filepath.Join("..", "test-output"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join("..", "test-output", "faults.txt"), []byte(report), 0o644))
}

// faultRun is one lake's trials over one data directory.
type faultRun struct {
	t    *testing.T
	dir  string
	fl   faultLake
	rng  *rand.Rand
	csv  string // the file of the current trial
	n    int64  // rows per load
	tick int    // loads made, for distinct files

	base      map[string]int64 // rows of every other entry, as committed before the trials
	committed int64            // rows of faultEntry known committed
	timing    faultTiming
	results   map[string]*faultRow
}

// faultTiming is measured once per lake, so that delays fall within the phase they aim at.
type faultTiming struct {
	ingest, commit, submit, gc, backup time.Duration
}

func newFaultRun(t *testing.T, dir string, fl faultLake, rng *rand.Rand, trials int) *faultRun {
	r := &faultRun{t: t, dir: dir, fl: fl, rng: rng, n: 100000, results: map[string]*faultRow{}}
	s := startServer(t, dir, fl.env, append([]string{"--demo"}, fl.args...)...)
	s.stop(syscall.SIGTERM)
	// Grow the directory so that a checkpoint takes long enough for kills to land inside it.
	pad := 600
	if trials >= 50 {
		pad = 3000
	}
	code, out := r.run([]string{"entry", "import", "--data", dir, padDirectory(t, pad)})
	require.Equal(t, 0, code, out)

	b := fl.open(t)
	defer b.Close()
	st := inspectLake(t, dir, b)
	require.NoError(t, st.openErr)
	require.Empty(t, st.partial)
	r.base, r.committed = st.rows, st.rows[faultEntry]
	delete(r.base, faultEntry)

	// Calibrate: a load, a submission and a collection, each to its end.
	r.nextFile()
	start := time.Now()
	code, out = r.run(r.ingestCmd())
	r.timing.ingest = time.Since(start)
	require.Equal(t, 0, code, out)
	r.timing.commit = logTime(t, out, "submission committed").Sub(start)
	r.committed += r.n
	r.timing.submit = r.calibrateSubmit()
	r.plantOrphans(b, 100)
	start = time.Now()
	code, out = r.run(r.gcCmd())
	r.timing.gc = time.Since(start)
	require.Equal(t, 0, code, out)
	set := filepath.Join(t.TempDir(), "calibration-set")
	start = time.Now()
	code, out = r.run(r.backupCmd(set))
	r.timing.backup = time.Since(start)
	require.Equal(t, 0, code, out)
	require.NoError(t, os.RemoveAll(set))
	t.Logf("%s: ingest %v (commit at %v), submission %v, gc %v, backup %v", fl.name, r.timing.ingest, r.timing.commit,
		r.timing.submit, r.timing.gc, r.timing.backup)
	return r
}

// uniform returns a delay drawn evenly from [lo, hi).
func (r *faultRun) uniform(lo, hi time.Duration) time.Duration {
	if lo < 0 {
		lo = 0
	}
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.rng.Int64N(int64(hi-lo)))
}

func (r *faultRun) nextFile() {
	r.tick++
	r.csv = filepath.Join(r.t.TempDir(), fmt.Sprintf("load-%d.csv", r.tick))
	faultCSV(r.t, r.csv, int(r.n), r.tick)
}

func (r *faultRun) ingestCmd() []string {
	return append([]string{"ingest", "--data", r.dir, "--entry", faultEntry}, append(r.fl.args, r.csv)...)
}

func (r *faultRun) gcCmd() []string {
	return append([]string{"gc", "--data", r.dir, "--min-age", "0s"}, r.fl.args...)
}

// faultCSV writes n station rows that no other trial's file has (tag), so that no load is taken
// for a resubmission of another.
func faultCSV(t *testing.T, path string, n, tag int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("站点编码,站点名称,区县,监测时间,PM2.5,PM10,臭氧,二氧化氮,二氧化硫,一氧化碳,空气质量指数\n")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&b, "F%04d%03d,故障站%d,500101,%s,%d.5,%d,%d,%d,%d,0.8,%d\n", tag, i%100, i%100,
			base.Add(time.Duration(i)*time.Minute).Format("2006-01-02 15:04:05"), i%80, i%150, i%200, i%60, i%20, i%300)
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
}

// padDirectory writes an import file of n draft entries made from examples/entry.json.
func padDirectory(t *testing.T, n int) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "examples", "entry.json"))
	require.NoError(t, err)
	doc := string(raw)
	i, j := strings.Index(doc, `"entries": [`), strings.LastIndex(doc, "]")
	require.True(t, i > 0 && j > i, "examples/entry.json has an entries list")
	entry := strings.TrimSpace(doc[i+len(`"entries": [`) : j])
	entry = entry[:strings.LastIndex(entry, "}")+1]
	var b strings.Builder
	b.WriteString(doc[:i] + `"entries": [`)
	for k := range n {
		if k > 0 {
			b.WriteString(",")
		}
		e := strings.Replace(entry, `"0102/100001"`, fmt.Sprintf(`"0102/%06d"`, 300000+k), 1)
		e = strings.Replace(e, `"district_water_quality_monthly"`, fmt.Sprintf(`"fault_pad_%05d"`, k), 1)
		e = strings.Replace(e, `"区县地表水断面水质月报(示例)"`, fmt.Sprintf(`"故障试验填充目录%d"`, k), 1)
		b.WriteString(e)
	}
	b.WriteString("]}\n")
	path := filepath.Join(t.TempDir(), "pad.json")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}
