package test

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
)

// faultRow is one line of the table: a phase on a lake.
type faultRow struct {
	phase, lake string
	trials      int
	clean       int   // restarts whose catalogue opened (journal and checkpoint replayed)
	partial     int   // snapshots seen with a missing or damaged manifest or file
	lost        int64 // committed rows missing after the restart
	gcDamage    int   // referenced objects gone or changed after gc, or gc runs that failed
	done        int   // kills after the work was reported done (load exited, submission answered)
	landed      int   // kills after which the new snapshot was current
	midCkpt     int   // kills that left a checkpoint half written
	setRefused  int   // backup sets a kill cut short that restore refused
	setRestored int   // backup sets written whole before the kill, restored
	setBad      int   // backup sets restore took though cut short, or refused though complete
}

func (f *faultRow) ok() bool {
	return f.clean == f.trials && f.partial == 0 && f.lost == 0 && f.gcDamage == 0 && f.setBad == 0
}

func (r *faultRun) row(phase string) *faultRow {
	if f, ok := r.results[phase]; ok {
		return f
	}
	f := &faultRow{phase: phase, lake: r.fl.name}
	r.results[phase] = f
	return f
}

func (r *faultRun) table() []faultRow {
	var out []faultRow
	for _, p := range faultPhases {
		if f, ok := r.results[p.name]; ok {
			out = append(out, *f)
		}
	}
	return out
}

// trial runs one kill of phase p and checks the restart; failures are reported and counted, and
// the trials go on so that the table shows them all.
func (r *faultRun) trial(k int, p faultPhase) {
	t := r.t
	f := r.row(p.name)
	f.trials++
	done := p.kill(r)
	if done {
		f.done++
	}
	b := r.fl.open(t)
	defer b.Close()
	st := inspectLake(t, r.dir, b)
	if st.midCkpt {
		f.midCkpt++
	}
	if st.openErr != nil {
		t.Errorf("trial %d (%s): the catalogue does not open after the kill: %v", k, p.name, st.openErr)
		return
	}
	f.clean++
	for _, s := range st.partial {
		t.Errorf("trial %d (%s): partial snapshot: %s", k, p.name, s)
	}
	f.partial += len(st.partial)
	f.lost += r.rowsLost(k, p.name, st.rows, done, f)

	// Collect what the killed processes left: gc must run clean and keep every referenced object.
	if code, out := r.run(r.gcCmd()); code != 0 {
		t.Errorf("trial %d (%s): gc after the restart failed (exit %d):\n%s", k, p.name, code, out)
		f.gcDamage++
	}
	after := inspectLake(t, r.dir, b)
	if after.openErr != nil {
		t.Errorf("trial %d (%s): the catalogue does not open after gc: %v", k, p.name, after.openErr)
		f.gcDamage++
		return
	}
	lost := lostObjects(context.Background(), b, st, after)
	for _, l := range lost {
		t.Errorf("trial %d (%s): gc lost a referenced object: %s", k, p.name, l)
	}
	f.gcDamage += len(lost) + len(after.partial)
	for code, n := range st.rows {
		if after.rows[code] != n {
			t.Errorf("trial %d (%s): %s had %d rows before gc, %d after", k, p.name, code, n, after.rows[code])
			f.gcDamage++
		}
	}
}

// rowsLost compares the rows found with those committed: every other entry keeps its rows; the
// loaded entry shows the rows before the killed load or those plus the whole load, and the whole
// load when it was reported done.
func (r *faultRun) rowsLost(k int, phase string, rows map[string]int64, done bool, f *faultRow) int64 {
	t := r.t
	var lost int64
	for code, n := range r.base {
		if rows[code] != n {
			t.Errorf("trial %d (%s): %s has %d rows, %d were committed", k, phase, code, rows[code], n)
			lost += max(n-rows[code], 1)
		}
	}
	got := rows[faultEntry]
	switch {
	case got == r.committed+r.n:
		f.landed++
		r.committed = got
	case got == r.committed && !done:
		// killed before the commit: the old snapshot stands
	case got == r.committed:
		t.Errorf("trial %d (%s): the load was reported done before the kill, but its %d rows are not there", k, phase, r.n)
		lost += r.n
	default:
		t.Errorf("trial %d (%s): %s has %d rows, want %d or %d", k, phase, faultEntry, got, r.committed, r.committed+r.n)
		lost += max(r.committed-got, 1)
	}
	return lost
}

func faultReport(rows []faultRow, trials int, seed uint64, spent []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "kill -9 fault trials: %d per lake, seed %d\n\n", trials, seed)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "phase\tlake\ttrials\tclean restarts\tpartial snapshots\trows lost\tgc damage\tdone before kill\tnew snapshot\tmid-checkpoint\tcut sets refused\twhole sets restored\tbad sets\toutcome\t")
	var all faultRow
	for _, f := range rows {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", f.phase, f.lake, f.trials, f.clean, f.partial, f.lost,
			f.gcDamage, f.done, f.landed, f.midCkpt, f.setRefused, f.setRestored, f.setBad, outcome(f.ok()))
		all.trials += f.trials
		all.clean += f.clean
		all.partial += f.partial
		all.lost += f.lost
		all.gcDamage += f.gcDamage
		all.done += f.done
		all.landed += f.landed
		all.midCkpt += f.midCkpt
		all.setRefused += f.setRefused
		all.setRestored += f.setRestored
		all.setBad += f.setBad
	}
	fmt.Fprintf(w, "all\t\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", all.trials, all.clean, all.partial, all.lost,
		all.gcDamage, all.done, all.landed, all.midCkpt, all.setRefused, all.setRestored, all.setBad, outcome(all.ok() && len(rows) > 0))
	w.Flush()
	fmt.Fprintf(&b, "\ntime: %s\n", strings.Join(spent, ", "))
	return b.String()
}

func outcome(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}
