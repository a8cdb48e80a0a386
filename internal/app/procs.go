package app

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
)

// DefaultExtraProcs is how many Go processors (GOMAXPROCS) serve runs beyond the ones Go
// gives itself (the CPUs, or a container's CPU limit).
//
// The catalogue's group commit has one goroutine waiting in fsync most of the time. When that
// call returns, the goroutine needs a processor to settle the batch and start the next fsync;
// with every processor busy with writers or the collector's idle-time workers, it queues for one,
// and every waiting writer with it. One processor more than the CPUs lets it find one at once;
// the operating system shares the CPUs among the threads. Measured back to back on two cores,
// 16 writers, 100,000 entries (the catalogue run of make bench): 5,747 commands/s against 4,484;
// over 30,000 entries one wait for a processor in ten took more than 0.52 ms, against 0.92 ms.
// Two more made 5,266 against 6,016 with one. The README gives the figures.
const DefaultExtraProcs = 1

// MaxExtraProcs bounds ExtraProcs: beyond a few, threads only contend for the same CPUs.
const MaxExtraProcs = 16

// validateExtraProcs checks the setting of ExtraProcs.
func validateExtraProcs(n int) error {
	if n < 0 || n > MaxExtraProcs {
		return fmt.Errorf("--extra-procs 应在 0 到 %d 之间, 而不是 %d", MaxExtraProcs, n)
	}
	return nil
}

// SetProcs sets GOMAXPROCS to extra above Go's default (the CPUs, or a container's CPU limit,
// as they are now), unless the GOMAXPROCS environment variable was set: the operator's own
// choice wins. Calling it again (a second service in one process) sets the same value, not one
// more. With extra 0 Go's default is restored, and with it Go's following of a change of the
// container's CPU limit; with more, Go no longer follows one while the process runs, and a
// restart takes it into account. It returns the setting in force afterwards and whether
// SetProcs chose it.
func SetProcs(extra int) (procs int, changed bool) {
	if os.Getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0), false
	}
	runtime.SetDefaultGOMAXPROCS()
	base := runtime.GOMAXPROCS(0)
	if extra <= 0 {
		return base, false
	}
	runtime.GOMAXPROCS(base + extra)
	return base + extra, true
}

// setProcs applies cfg.ExtraProcs and logs what it did.
func setProcs(cfg Config, log *slog.Logger) {
	if procs, changed := SetProcs(cfg.ExtraProcs); changed {
		log.Info("GOMAXPROCS raised above the CPUs for the journal's syncer", "to", procs, "extra_procs", cfg.ExtraProcs)
	}
}
