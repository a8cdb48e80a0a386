package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// installHint ends every message about missing binaries: the Makefile installs them.
const installHint = "`make test` installs them (its `postgres` target runs apt-get install postgresql)"

// findBinaries returns the directory holding initdb and postgres: $ECOLAKE_POSTGRES_BIN, else
// the highest version under /usr/lib/postgresql/*/bin (Debian's layout), else pg_config --bindir.
func findBinaries() (string, error) {
	if dir := os.Getenv("ECOLAKE_POSTGRES_BIN"); dir != "" {
		if hasServer(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("ECOLAKE_POSTGRES_BIN=%s holds no initdb and postgres executables", dir)
	}
	tried := []string{"$ECOLAKE_POSTGRES_BIN (unset)"}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return slices.Compare(versionOf(b), versionOf(a)) })
	for _, dir := range dirs {
		if hasServer(dir) {
			return dir, nil
		}
	}
	tried = append(tried, "/usr/lib/postgresql/*/bin")
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); hasServer(dir) {
			return dir, nil
		}
	}
	tried = append(tried, "pg_config --bindir")
	return "", fmt.Errorf("no PostgreSQL server binaries (tried %s); %s", strings.Join(tried, ", "), installHint)
}

func hasServer(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// versionOf reads the version directory of /usr/lib/postgresql/<version>/bin ("15", "9.6").
func versionOf(binDir string) []int {
	var v []int
	for _, part := range strings.Split(filepath.Base(filepath.Dir(binDir)), ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil // not a version: sorts lowest
		}
		v = append(v, n)
	}
	return v
}
