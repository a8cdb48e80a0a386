package catalog

import (
	"errors"
	"fmt"
)

// FigureTargets are the bureau's targets for the three management figures (STANDARDS.md §5), as
// shares between 0 and 1. They are configuration: every door that shows a figure shows its
// target beside it and whether it is met.
type FigureTargets struct {
	Collection float64 // 数据归集率
	Coverage   float64 // 业务事项覆盖率
	OneThing   float64 // "一件事"上线运行率
}

// DefaultFigureTargets are the targets set when the bureau sets none: 90%, 70% and 80%.
func DefaultFigureTargets() FigureTargets {
	return FigureTargets{Collection: 0.90, Coverage: 0.70, OneThing: 0.80}
}

// Validate refuses a target outside 0..1.
func (t FigureTargets) Validate() error {
	var errs []error
	for _, c := range []struct {
		name string
		v    float64
	}{{"collection", t.Collection}, {"coverage", t.Coverage}, {"one-thing", t.OneThing}} {
		if !(c.v >= 0 && c.v <= 1) { // NaN fails both
			errs = append(errs, fmt.Errorf("%s target %g must be between 0 and 1", c.name, c.v))
		}
	}
	return errors.Join(errs...)
}

// MeetsTarget reports whether numerator ÷ denominator reaches target. It compares the counts, not
// the rounded rate, so that 9 of 10 meets 0.9; a figure with nothing to count meets no target.
func MeetsTarget(numerator, denominator int, target float64) bool {
	if denominator <= 0 {
		return false
	}
	const slack = 1e-9 // target·denominator is a product of floats: 0.7·10 may land just above 7
	return float64(numerator) >= target*float64(denominator)-slack
}
