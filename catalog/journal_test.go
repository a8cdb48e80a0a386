package catalog

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crashedStore writes a few commands, drops the store without a checkpoint and returns the
// directory, the last segment and the offsets at which its records start.
func crashedStore(t *testing.T) (Config, string, []int64) {
	t.Helper()
	clock := newClock()
	cfg := testConfig(t.TempDir(), clock)
	s := openTest(t, cfg)
	ctx := context.Background()
	for i := range 3 {
		require.NoError(t, s.PutDepartment(ctx, Department{Code: fmt.Sprintf("DIV_%d", i), Name: "处室", Kind: DepartmentDivision}))
	}
	s.crash()
	segs, err := listSegments(cfg.Dir)
	require.NoError(t, err)
	require.Len(t, segs, 1)
	data, err := os.ReadFile(segs[0].path)
	require.NoError(t, err)
	var offs []int64
	_, err = scanFrames(segs[0].path, data, func(off int64, _ int, _ []byte) error {
		offs = append(offs, off)
		return nil
	})
	require.NoError(t, err)
	require.Len(t, offs, 4) // seed + 3 departments
	return cfg, segs[0].path, offs
}

func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[off] ^= 0xff
	require.NoError(t, os.WriteFile(path, data, 0o640))
}

func TestTornTailIsCut(t *testing.T) {
	cases := []struct {
		name     string
		damage   func(t *testing.T, path string, offs []int64)
		survives uint64 // index after recovery
	}{
		{"short header", func(t *testing.T, p string, _ []int64) { appendBytes(t, p, []byte{12, 0, 0}) }, 4},
		{"short payload", func(t *testing.T, p string, _ []int64) {
			h := make([]byte, 8)
			binary.LittleEndian.PutUint32(h, 100)
			appendBytes(t, p, append(h, []byte(`{"index":5,`)...))
		}, 4},
		{"checksum mismatch on final record", func(t *testing.T, p string, offs []int64) { flipByte(t, p, offs[3]+frameHeader+3) }, 3},
		{"zero-filled tail", func(t *testing.T, p string, _ []int64) { appendBytes(t, p, make([]byte, 4096)) }, 4},
		{"final record cut inside its payload", func(t *testing.T, p string, offs []int64) {
			st, err := os.Stat(p)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(p, st.Size()-5))
		}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, path, offs := crashedStore(t)
			good, err := os.ReadFile(path)
			require.NoError(t, err)
			c.damage(t, path, offs)

			s := openTest(t, cfg)
			assert.Equal(t, c.survives, s.Index())
			v := s.View()
			assert.Len(t, v.Departments(), int(c.survives)-1)
			assert.Len(t, v.Districts(), 42)
			cut, err := os.ReadFile(path)
			require.NoError(t, err)
			if c.survives == 4 {
				assert.Equal(t, good, cut, "file is back to its last good record")
			} else {
				assert.Equal(t, good[:offs[3]], cut)
			}

			// new commands follow the cut cleanly and survive another crash
			require.NoError(t, s.PutDepartment(context.Background(), Department{Code: "LATE", Name: "后来的处室", Kind: DepartmentCorps}))
			s.crash()
			s = openTest(t, cfg)
			defer s.Close()
			assert.Equal(t, c.survives+1, s.Index())
			_, err = s.View().Department("LATE")
			assert.NoError(t, err)
		})
	}
}

func TestCorruptMiddleRecordStopsOpen(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, path string, offs []int64)
		want   string
	}{
		{"checksum mismatch", func(t *testing.T, p string, offs []int64) { flipByte(t, p, offs[1]+frameHeader+2) }, "record 1 at offset %d"},
		{"bad length", func(t *testing.T, p string, offs []int64) { flipByte(t, p, offs[2]+3) }, "record 2 at offset %d"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, path, offs := crashedStore(t)
			c.damage(t, path, offs)
			before, err := os.ReadFile(path)
			require.NoError(t, err)
			_, err = Open(context.Background(), cfg, nil)
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Contains(t, err.Error(), path)
			rec := 1
			if c.name == "bad length" {
				rec = 2
			}
			assert.Contains(t, err.Error(), fmt.Sprintf(c.want, offs[rec]))
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, before, after, "nothing is cut when the damage is not at the tail")
			// the lock was released: the directory can be opened again once repaired
			_, err = Open(context.Background(), cfg, nil)
			assert.ErrorIs(t, err, ErrCorrupt)
		})
	}
}

func TestUnknownCommandStopsOpen(t *testing.T) {
	cases := []struct {
		name string
		rec  record
		want string
	}{
		{"unknown type", record{Index: 5, Type: "drop_everything", Version: 1, At: time.Now(), Payload: json.RawMessage(`{}`)}, "unknown command type"},
		{"unknown version", record{Index: 5, Type: cmdPutDepartment, Version: 9, At: time.Now(), Payload: json.RawMessage(`{}`)}, "version 9"},
		{"index gap", record{Index: 7, Type: cmdPutDepartment, Version: 1, At: time.Now(), Payload: json.RawMessage(`{"department":{"Code":"X"}}`)}, "does not follow 4"},
		{"payload not applicable", record{Index: 5, Type: cmdSetEntryStatus, Version: 1, At: time.Now(), Payload: json.RawMessage(`{"code":"0101/000404","status":"PUBLISHED"}`)}, "0101/000404"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, path, offs := crashedStore(t)
			st, err := os.Stat(path)
			require.NoError(t, err)
			raw, err := json.Marshal(&c.rec)
			require.NoError(t, err)
			appendBytes(t, path, frame(raw))
			_, err = Open(context.Background(), cfg, nil)
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), fmt.Sprintf("record 4 at offset %d", st.Size()))
			assert.Len(t, offs, 4)
		})
	}
}

func TestCorruptCheckpointStopsOpen(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openTest(t, testConfig(dir, clock))
	require.NoError(t, s.PutDepartment(context.Background(), Department{Code: "A", Name: "甲", Kind: DepartmentDivision}))
	require.NoError(t, s.Close())
	path := dir + "/" + checkpointName
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data[:len(data)-10], 0o640))
	_, err = Open(context.Background(), testConfig(dir, clock), nil)
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), checkpointName)
}

func TestScanFramesRoundTrip(t *testing.T) {
	var buf []byte
	payloads := []string{`{"a":1}`, `{"b":2}`, `{"c":"重庆"}`}
	for _, p := range payloads {
		buf = append(buf, frame([]byte(p))...)
	}
	var got []string
	scan, err := scanFrames("mem", buf, func(_ int64, _ int, p []byte) error { got = append(got, string(p)); return nil })
	require.NoError(t, err)
	assert.False(t, scan.torn)
	assert.Equal(t, int64(len(buf)), scan.good)
	assert.Equal(t, payloads, got)
}

// FuzzScanFrames: whatever bytes a damaged disk returns, the scanner neither panics nor reads
// past the data, and it only ever reports intact records.
func FuzzScanFrames(f *testing.F) {
	f.Add(frame([]byte(`{"index":1}`)))
	f.Add(append(frame([]byte(`{"a":1}`)), 0, 0, 0))
	f.Add([]byte{1, 0, 0, 0, 9, 9, 9, 9, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		var total int64
		scan, err := scanFrames("fuzz", data, func(off int64, _ int, p []byte) error {
			if off != total {
				t.Fatalf("record at %d, expected %d", off, total)
			}
			total += int64(frameHeader + len(p))
			return nil
		})
		if err != nil {
			return
		}
		if scan.good != total || scan.good > int64(len(data)) {
			t.Fatalf("good %d, records end at %d, data %d", scan.good, total, len(data))
		}
		if !scan.torn && scan.good != int64(len(data)) {
			t.Fatalf("not torn but %d of %d bytes read", scan.good, len(data))
		}
	})
}

// BenchmarkScanFrames reads journals of 10k and 100k records: the time per record must stay flat
// (a check of the tail on every frame once made reading quadratic in the file's size).
func BenchmarkScanFrames(b *testing.B) {
	payload := []byte(`{"index":1,"type":"put_entry","version":1,"payload":{"entry":{"ResourceCode":"0101/000001"}}}`)
	for _, n := range []int{10_000, 100_000} {
		var buf []byte
		for range n {
			buf = append(buf, frame(payload)...)
		}
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				count := 0
				if _, err := scanFrames("bench", buf, func(int64, int, []byte) error { count++; return nil }); err != nil || count != n {
					b.Fatalf("scan: %v, %d records", err, count)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		})
	}
}
