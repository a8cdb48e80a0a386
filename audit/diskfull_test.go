package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFullDiskRefusesEventsUntilSpaceIsFreed fills a small tmpfs holding the audit directory: an
// event that does not fit is refused with ENOSPC, the part of its line that was written is cut
// off, and once space is freed the same log records again, without a restart; the file holds
// whole events only, the refused ones absent.
func TestFullDiskRefusesEventsUntilSpaceIsFreed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs to fill needs root; this process is not root")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("mount -t tmpfs not permitted here: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	dir := filepath.Join(mnt, "audit")
	c := &clock{now: at("2026-03-01 10:00")}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, l.Record(Event{ID: "before", Principal: "app", Outcome: OutcomeOK}))

	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	require.NoError(t, err)
	for _, size := range []int{64 << 10, 4096, 1} {
		buf := make([]byte, size)
		for {
			if _, err := f.Write(buf); err != nil {
				require.ErrorIs(t, err, syscall.ENOSPC)
				break
			}
		}
	}
	require.NoError(t, f.Close())

	// Events that are large enough to need a page of their own are refused, however many.
	big := strings.Repeat("x", 5000)
	var refused int
	for i := range 5 {
		err := l.Record(Event{ID: fmt.Sprintf("full%d", i), Principal: "app", Error: big, Outcome: "INTERNAL"})
		if err != nil {
			require.True(t, errors.Is(err, syscall.ENOSPC), "%v", err)
			refused++
		}
	}
	assert.Equal(t, 5, refused, "a full disk refuses the events")

	require.NoError(t, os.Remove(filler))
	require.NoError(t, l.Record(Event{ID: "after", Principal: "app", Error: big, Outcome: "INTERNAL"}),
		"the log records again once space is freed")

	var ids []string
	raw, err := os.Open(filepath.Join(dir, "2026-03-01"+suffix))
	require.NoError(t, err)
	defer raw.Close()
	sc := bufio.NewScanner(raw)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), "every line is a whole event: %q", sc.Text())
		ids = append(ids, ev.ID)
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, []string{"before", "after"}, ids)
}
