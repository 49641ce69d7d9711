package shell

import (
	"syscall"
	"unsafe"
)

const (
	pPID    = 1         // P_PID
	wExited = 4         // WEXITED
	wNoWait = 0x1000000 // WNOWAIT
)

// waitExited blocks until process pid has exited, without reaping it: the
// zombie keeps its pid, so the process group can still be signalled
// safely.
func waitExited(pid int) error {
	var info [128]byte // siginfo_t
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid), uintptr(unsafe.Pointer(&info[0])), wExited|wNoWait, 0, 0)
		switch errno {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		default:
			return errno
		}
	}
}
