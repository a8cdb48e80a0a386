package s3

import (
	"net"
	"syscall"
	"unsafe"
)

// sendQueue is the number of bytes written to the connection that the peer has not acknowledged
// yet (SIOCOUTQ); ok is false when it cannot be read.
func sendQueue(c net.Conn) (n int, ok bool) {
	if nc, isWrapped := c.(interface{ NetConn() net.Conn }); isWrapped {
		c = nc.NetConn()
	}
	sc, isSys := c.(syscall.Conn)
	if !isSys {
		return 0, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var q int32
	var errno syscall.Errno
	if err := raw.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&q)))
	}); err != nil || errno != 0 {
		return 0, false
	}
	return int(q), true
}
