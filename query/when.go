package query

import (
	"time"

	"github.com/cqeco/ecolake/audit"
)

// parseWhen reads a time as the API takes it: RFC 3339, or a date, which is that day in
// Chongqing; day reports a date, and t is then its first instant. Each caller decides what a
// date means to it (the audit's from and to, a grant's expiry, asOf).
func parseWhen(v string) (t time.Time, day, ok bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, false, true
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, audit.Zone); err == nil {
		return t, true, true
	}
	return time.Time{}, false, false
}
