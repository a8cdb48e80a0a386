package catalog

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFigureTargetsValidate(t *testing.T) {
	assert.NoError(t, DefaultFigureTargets().Validate())
	assert.Equal(t, FigureTargets{Collection: 0.9, Coverage: 0.7, OneThing: 0.8}, DefaultFigureTargets())
	assert.NoError(t, FigureTargets{Collection: 0, Coverage: 1, OneThing: 0.5}.Validate())
	for _, bad := range []FigureTargets{
		{Collection: 1.2, Coverage: 0.7, OneThing: 0.8},
		{Collection: 0.9, Coverage: -0.1, OneThing: 0.8},
		{Collection: 0.9, Coverage: 0.7, OneThing: math.NaN()},
	} {
		assert.Error(t, bad.Validate(), "%+v", bad)
	}
	err := FigureTargets{Collection: 90, Coverage: 70, OneThing: 0.8}.Validate()
	assert.ErrorContains(t, err, "collection target 90")
	assert.ErrorContains(t, err, "coverage target 70")
}

func TestMeetsTarget(t *testing.T) {
	for _, c := range []struct {
		n, d   int
		target float64
		want   bool
	}{
		{9, 10, 0.9, true}, {7, 10, 0.7, true}, {14, 20, 0.7, true}, {4, 5, 0.8, true},
		{8, 10, 0.9, false}, {69, 100, 0.7, false}, {0, 0, 0, false}, {0, 3, 0, true}, {3, 3, 1, true},
	} {
		assert.Equal(t, c.want, MeetsTarget(c.n, c.d, c.target), "%d/%d vs %g", c.n, c.d, c.target)
	}
}
