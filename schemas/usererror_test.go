package schemas

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"表头有误", 4, "表头有误"},
		{"表头有误了", 4, "表头有…"},
		{"表头", 1, "…"},
		{"表", 1, "表"},
		{"abc", 0, ""},
		{"ab\xffcd", 3, "ab…"},
	}
	for _, tc := range tests {
		got := Clip(tc.in, tc.n)
		assert.Equal(t, tc.want, got, "Clip(%q, %d)", tc.in, tc.n)
		assert.LessOrEqual(t, utf8.RuneCountInString(got), max(tc.n, 0))
	}
	big := strings.Repeat("列", 10<<20)
	assert.Equal(t, 64, utf8.RuneCountInString(Clip(big, 64)))
}

func TestCodeOf(t *testing.T) {
	sub := Kind("entry not found", ErrNotFound)
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("disk full"), CodeInternal},
		{fmt.Errorf("get x: %w", sub), CodeNotFound},
		{fmt.Errorf("bad: %w", ErrInvalid), CodeInvalid},
		{fmt.Errorf("header: %w", ErrUnprocessable), CodeInvalid},
		{ErrConflict, CodeConflict},
		{ErrForbidden, CodeForbidden},
		{ErrUnauthenticated, CodeUnauthenticated},
		{Kind("result too large", ErrTooLarge), CodeTooLarge},
		{Userf(ErrBusy, "报送繁忙"), CodeBusy},
		{&InvalidError{Subject: "目录", Problems: []Problem{{"name", "必填"}}}, CodeInvalid},
		{Userf(ErrForbidden, "无权报送"), CodeForbidden},
		{&UserError{Msg: "查询失败"}, CodeInternal},
		{errors.Join(errors.New("io"), ErrNotFound), CodeNotFound},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, CodeOf(tc.err), "%v", tc.err)
	}
}

func TestUserMessage(t *testing.T) {
	public := &UserError{Msg: "表头与目录信息项不符", Err: ErrUnprocessable}
	detailed := Userf(public, "报送.csv 表头有误：第 4 列“风速”不是该目录的信息项")

	msg, ok := UserMessage(fmt.Errorf("load tables/air/x: %w", detailed))
	require.True(t, ok)
	assert.Equal(t, "报送.csv 表头有误：第 4 列“风速”不是该目录的信息项", msg, "the outermost user text, not the wrapping")
	assert.ErrorIs(t, detailed, public)
	assert.ErrorIs(t, detailed, ErrInvalid)

	msg, ok = UserMessage(fmt.Errorf("upload tables/air/x: %w", public))
	require.True(t, ok)
	assert.Equal(t, "表头与目录信息项不符", msg, "a public sentinel's own text, never the text around it")

	_, ok = UserMessage(fmt.Errorf("read tables/air/x: %w", Kind("not found", ErrNotFound)))
	assert.False(t, ok)

	long := Userf(ErrInvalid, "%s", strings.Repeat("长", 10<<20))
	assert.LessOrEqual(t, utf8.RuneCountInString(long.Error()), MaxUserMessage)
}

func TestInvalidErrorText(t *testing.T) {
	sentinel := Kind("invalid", ErrInvalid)
	e := &InvalidError{Subject: "归集运行 r1", Problems: []Problem{{"id", "格式不对"}, {"status", "“DONE”应为 RUNNING"}}, Err: sentinel}
	assert.Equal(t, "归集运行 r1: id: 格式不对; status: “DONE”应为 RUNNING: invalid", e.Error(), "for the log")
	assert.Equal(t, "归集运行 r1 校验未通过: id: 格式不对；status: “DONE”应为 RUNNING", e.UserText(), "for users: no sentinel text")
	assert.ErrorIs(t, e, sentinel)
	assert.ErrorIs(t, e, ErrInvalid)
	many := &InvalidError{Subject: "entry"}
	for i := 0; i < 1000; i++ {
		many.Problems = append(many.Problems, Problem{fmt.Sprintf("items[%d]", i), "必填"})
	}
	assert.Less(t, len(many.Error()), 2000)
	assert.Contains(t, many.Error(), "另有 950 处问题")
	user := many.UserText()
	assert.LessOrEqual(t, utf8.RuneCountInString(user), MaxUserMessage)
	named := strings.Count(user, ": 必填")
	assert.Greater(t, named, 10)
	assert.True(t, strings.HasSuffix(user, fmt.Sprintf("；另有 %d 处问题", 1000-named)), "what does not fit is counted: %s", user)
	huge := &InvalidError{Subject: "目录", Problems: []Problem{{"name", strings.Repeat("长", 10000)}}}
	assert.LessOrEqual(t, utf8.RuneCountInString(huge.UserText()), MaxUserMessage)
}
