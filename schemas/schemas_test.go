package schemas

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGradeOrder(t *testing.T) {
	assert.Less(t, General1.Rank(), General4.Rank())
	assert.Less(t, General4.Rank(), Important.Rank())
	assert.Less(t, Important.Rank(), Core.Rank())
	assert.Equal(t, Important, MaxGrade(General2, Important, General3, ""))
	assert.True(t, General3.Covers(General2))
	assert.False(t, General2.Covers(General3))
	assert.False(t, Grade("").Covers(General1))
	assert.Equal(t, "重要数据", Important.Name())
}

func TestUpdateCyclePeriod(t *testing.T) {
	assert.Equal(t, 24*time.Hour, Daily.Period())
	assert.Equal(t, time.Duration(0), Irregular.Period())
	assert.True(t, Monthly.Period() > Weekly.Period())
}

func TestDistricts(t *testing.T) {
	all := AllDistricts()
	var counted, zones int
	for _, d := range all {
		if d.Kind != "city" {
			counted++
		}
		if d.IsZone() {
			zones++
			assert.Len(t, d.Code, 6)
		}
	}
	assert.Equal(t, 41, counted)
	assert.Equal(t, 3, zones)
	for _, s := range []string{"大渡 口区", "500104", "大渡口区"} {
		d, ok := LookupDistrict(s)
		require.True(t, ok, s)
		assert.Equal(t, "500104", d.Code)
	}
	d, ok := LookupDistrict("石柱县")
	require.True(t, ok)
	assert.Equal(t, "500240", d.Code)
	d, ok = LookupDistrict("重庆高新区")
	require.True(t, ok)
	assert.Equal(t, "500191", d.Code)
	_, ok = LookupDistrict("成都市")
	assert.False(t, ok)
}

func TestParse(t *testing.T) {
	cases := []struct {
		t    DataType
		in   string
		want any
		bad  bool
	}{
		{Int, "2,121", int64(2121), false},
		{Int, "3.5", nil, true},
		{Float, "36.0", 36.0, false},
		{Float, "NaN", nil, true},
		{Bool, "是", true, false},
		{Bool, "maybe", nil, true},
		{Date, "2024/9/1", time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC), false},
		{Date, "2024-13-01", nil, true},
		{Timestamp, "2024-09-01 13:00", time.Date(2024, 9, 1, 13, 0, 0, 0, time.UTC), false},
		{String, " 万州区 ", "万州区", false},
		// What a Chinese input method types: full-width digits, separators, signs, ideographic
		// spaces.
		{Int, "１１６", int64(116), false},
		{Int, "１，２３４", int64(1234), false},
		{Int, "　－３　", int64(-3), false},
		{Float, "３５．５", 35.5, false},
		{Float, "１２,３４５.６７", 12345.67, false},
		{Date, "２０２４年５月７日", time.Date(2024, 5, 7, 0, 0, 0, 0, time.UTC), false},
		{Date, "2024年5月7日", time.Date(2024, 5, 7, 0, 0, 0, 0, time.UTC), false},
		{Date, "２０２４／５／７", time.Date(2024, 5, 7, 0, 0, 0, 0, time.UTC), false},
		{Timestamp, "２０２４－０５－０７　１３：００", time.Date(2024, 5, 7, 13, 0, 0, 0, time.UTC), false},
		{Int, "一百", nil, true},
		{Float, "３５．５元", nil, true},
	}
	for _, c := range cases {
		got, err := c.t.Parse(c.in)
		if c.bad {
			assert.Error(t, err, "%s %q", c.t, c.in)
			continue
		}
		require.NoError(t, err, "%s %q", c.t, c.in)
		assert.Equal(t, c.want, got)
	}
}

func TestIdent(t *testing.T) {
	assert.NoError(t, CheckIdent("pm25_target"))
	for _, bad := range []string{"", "PM25", "1a", "a-b", `a"b`, "区县"} {
		err := CheckIdent(bad)
		require.ErrorIs(t, err, ErrInvalid, bad)
		assert.Contains(t, err.Error(), "标识符“"+bad+"”须以小写英文字母开头，只含小写英文字母、数字和下划线")
	}
	assert.ErrorContains(t, CheckIdent("select"), "标识符“select”是保留字，不能使用")
	assert.Panics(t, func() { QuoteIdent("x; drop") })
}

func TestCodeListsLoad(t *testing.T) {
	for _, n := range ListNames() {
		l, _ := List(n)
		assert.NotEmpty(t, l.Codes(), n)
	}
	c, ok := Categories.Lookup("0101")
	require.True(t, ok)
	assert.Equal(t, "01", c.Extra["parent"])
	assert.NoError(t, ShareTypes.Check("share_type", "CONDITIONAL"))
	err := ShareTypes.Check("share_type", "SOMETIMES")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Equal(t, "share_type: “SOMETIMES”不在代码表 share_types（共享类型）中（可选：UNCONDITIONAL、CONDITIONAL、NOT_SHARED）: invalid value", err.Error())
	assert.ErrorContains(t, Grades.Check("clearance", ""), "clearance: 必填，取代码表 grades（数据分级）中的值（可选：GENERAL_1、")
	// A long list names its first ids and how many there are; a value from input is clipped and
	// its control characters escaped.
	err = Categories.Check("category_code", strings.Repeat("9", 100)+"\x1b[2J")
	assert.Contains(t, err.Error(), "“"+strings.Repeat("9", 63)+"…”不在代码表 categories（资源分类）中")
	assert.Contains(t, err.Error(), fmt.Sprintf("等 %d 项）", len(Categories.Codes())))
	assert.NotContains(t, Categories.Check("c", "9\x1b[2J").Error(), "\x1b", "a control character is escaped")
	assert.Contains(t, Categories.Check("c", "9\x1b[2J").Error(), `“9\x1b[2J”`)
	for _, n := range ListNames() {
		l, _ := List(n)
		assert.NotEmpty(t, l.Title(), "every code list has a Chinese meaning for messages: %s", n)
	}
}
