package app

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"
)

// Version describes the running binary: linked is what the build set with
// -ldflags "-X main.version=…"; without it, what the Go toolchain recorded (module version,
// commit, commit time) stands in.
func Version(linked string) string {
	bi, ok := debug.ReadBuildInfo()
	if linked != "" || !ok {
		return strings.TrimSpace(cmpOr(linked, "未知版本"))
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "开发版"
	}
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				at = t.Local().Format("2006-01-02 15:04")
			}
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", 含未提交的修改"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && !strings.Contains(v, rev) {
		v += fmt.Sprintf(" (提交 %s %s%s)", rev, at, dirty)
	}
	return v + ", " + bi.GoVersion
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
