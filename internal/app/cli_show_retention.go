package app

import (
	"strconv"
	"strings"
)

// retentionText is an entry's snapshot retention as `catalog show` writes it: "最新 5 个、被替换后
// 30 天", a half the entry leaves to the service named as such, "系统默认" when it sets neither.
func retentionText(count, days *int) string {
	switch {
	case count == nil && days == nil:
		return "系统默认"
	case count != nil && days != nil && *count == 0 && *days == 0:
		return "全部保留（不按个数、天数限制）"
	}
	parts := []string{"个数按系统默认", "天数按系统默认"}
	if count != nil {
		parts[0] = retainCountText(*count)
	}
	if days != nil {
		parts[1] = retainDaysText(*days)
	}
	return strings.Join(parts, "、")
}

func retainCountText(n int) string {
	if n == 0 {
		return "不按个数限制"
	}
	return "最新 " + strconv.Itoa(n) + " 个"
}

func retainDaysText(n int) string {
	if n == 0 {
		return "不按天数限制"
	}
	return "被替换后 " + strconv.Itoa(n) + " 天"
}

// retainChange is one retention setting as history writes it ("" unset) in Chinese words.
func retainChange(v string, words func(int) string) string {
	n, err := strconv.Atoi(v)
	if err != nil {
		return "系统默认"
	}
	return words(n)
}
