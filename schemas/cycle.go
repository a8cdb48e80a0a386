package schemas

import (
	"strconv"
	"time"
)

// UpdateCycle is an 更新周期 id (REALTIME … IRREGULAR).
type UpdateCycle string

const (
	Realtime   UpdateCycle = "REALTIME"
	Daily      UpdateCycle = "DAILY"
	Weekly     UpdateCycle = "WEEKLY"
	Monthly    UpdateCycle = "MONTHLY"
	Quarterly  UpdateCycle = "QUARTERLY"
	HalfYearly UpdateCycle = "HALF_YEARLY"
	Yearly     UpdateCycle = "YEARLY"
	Irregular  UpdateCycle = "IRREGULAR"
)

// Valid reports whether c is in the code list.
func (c UpdateCycle) Valid() bool { return UpdateCycles.Has(string(c)) }

// Name is the Chinese name of the cycle.
func (c UpdateCycle) Name() string { return UpdateCycles.NameOf(string(c)) }

// Period is the longest gap between two loads the cycle allows; 0 means no deadline (不定时).
func (c UpdateCycle) Period() time.Duration { return c.hours("hours") }

// Grace is how long after Period a load still counts as on time for the collection figures.
func (c UpdateCycle) Grace() time.Duration { return c.hours("grace_hours") }

// hours reads a column of the code list as a duration in hours; 0 for an unknown cycle.
func (c UpdateCycle) hours(column string) time.Duration {
	code, ok := UpdateCycles.Lookup(string(c))
	if !ok {
		return 0
	}
	h, _ := strconv.Atoi(code.Extra[column])
	return time.Duration(h) * time.Hour
}
