package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Filter selects events; zero fields select everything.
type Filter struct {
	From, To  time.Time // From inclusive, To exclusive
	Principal string
	Scene     string
	Entry     string // resource code
	Outcome   string // OK or an error code
	Unmasked  bool   // only events that read an item in clear under a grant
}

func (f *Filter) match(ev *Event) bool {
	switch {
	case !f.From.IsZero() && ev.At.Before(f.From),
		!f.To.IsZero() && !ev.At.Before(f.To),
		f.Principal != "" && ev.Principal != f.Principal,
		f.Scene != "" && ev.Scene != f.Scene,
		f.Entry != "" && !slices.Contains(ev.Entries, f.Entry),
		f.Outcome != "" && ev.Outcome != f.Outcome,
		f.Unmasked && len(ev.Unmasked) == 0:
		return false
	}
	return true
}

// MaxPage is the most events one Query returns.
const MaxPage = 1000

// checkEvery is how many lines a Query reads between looks at its context.
const checkEvery = 4096

// ErrBadCursor is returned for a cursor Query did not hand out.
var ErrBadCursor = errors.New("audit cursor not recognised")

// Query returns up to limit events matching f, oldest first, starting after the cursor after
// ("" for the beginning), and the cursor of the next page ("" when there is none). It reads only
// the day files of f's time range, and stops with ctx's error when ctx ends: a filter that
// matches little over a long range reads much, within the request's time.
func (l *Log) Query(ctx context.Context, f Filter, after string, limit int) ([]Event, string, error) {
	limit = min(max(limit, 1), MaxPage)
	startDay, skip, err := parseCursor(after)
	if err != nil {
		return nil, "", err
	}
	days, err := l.days()
	if err != nil {
		return nil, "", err
	}
	var out []Event
	for _, d := range days {
		if d < startDay || (!f.From.IsZero() && d < dayOf(f.From)) || (!f.To.IsZero() && d > dayOf(f.To)) {
			continue
		}
		from := 0
		if d == startDay {
			from = skip
		}
		last, full, err := l.scanDay(ctx, d, from, limit-len(out), &f, &out)
		if err != nil {
			return nil, "", err
		}
		if full {
			return out, d + "/" + strconv.Itoa(last), nil
		}
	}
	return out, "", nil
}

// scanDay reads the events of day from line from on, appending matches to out until it holds
// want more. It returns the number of lines read and whether it stopped because out was full.
// A last line without its newline (an event being written) is not read.
func (l *Log) scanDay(ctx context.Context, day string, from, want int, f *Filter, out *[]Event) (int, bool, error) {
	file, err := os.Open(filepath.Join(l.dir, day+suffix))
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil // expired meanwhile
	}
	if err != nil {
		return 0, false, fmt.Errorf("open audit day %s: %w", day, err)
	}
	defer file.Close()
	r := bufio.NewReaderSize(file, 256<<10)
	n, found := 0, 0
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return n, false, nil
		}
		if err != nil {
			return n, false, fmt.Errorf("read audit day %s: %w", day, err)
		}
		n++
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return n, false, err
			}
		}
		if n <= from {
			continue
		}
		var ev Event
		if err := json.Unmarshal(bytes.TrimSpace(line), &ev); err != nil {
			return n, false, fmt.Errorf("audit day %s line %d: %w", day, n, err)
		}
		if !f.match(&ev) {
			continue
		}
		*out = append(*out, ev)
		found++
		if found == want {
			return n, true, nil
		}
	}
}

func parseCursor(c string) (string, int, error) {
	if c == "" {
		return "", 0, nil
	}
	day, line, ok := strings.Cut(c, "/")
	n, err := strconv.Atoi(line)
	if _, terr := time.Parse("2006-01-02", day); !ok || err != nil || terr != nil || n < 0 {
		return "", 0, fmt.Errorf("%w: %q", ErrBadCursor, c)
	}
	return day, n, nil
}
