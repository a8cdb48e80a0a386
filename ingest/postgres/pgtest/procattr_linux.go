package pgtest

import "syscall"

// procAttr runs a server process as cred (nil: as the test) and has the kernel send it SIGQUIT,
// PostgreSQL's immediate shutdown, if the test binary dies without stopping it.
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
}
