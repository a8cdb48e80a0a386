package app

import (
	"strconv"

	"github.com/cqeco/ecolake/catalog"
)

// How `ecolake catalog show` writes an entry's load settings (catalog/loadsettings.go).

// rejectedLimit is an entry's rejected-row threshold, or that it follows the service's.
func rejectedLimit(p *float64) string {
	if p == nil {
		return "系统默认"
	}
	return strconv.FormatFloat(*p, 'f', -1, 64) + "%"
}

// percentOf reads a percentage as history writes it, nil for none.
func percentOf(v string) *float64 {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil
	}
	return &f
}

// valueRange is an item's range as written: "0–1000", "≥ 0", "≤ 1000", "-" for none.
func valueRange(it catalog.Item) string {
	switch {
	case it.Min != "" && it.Max != "":
		return it.Min + "–" + it.Max
	case it.Min != "":
		return "≥ " + it.Min
	case it.Max != "":
		return "≤ " + it.Max
	}
	return "-"
}
