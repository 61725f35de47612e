// Package netns brings loopback up in a new network namespace, what `ip link set lo up` does,
// without iproute2: neither make test (testtools' isolated namespaces, isolate.go) nor make bench
// (bench/netns) may need more than Go and Debian's base system.
package netns

import (
	"syscall"
	"unsafe"
)

// ifreq is struct ifreq of <linux/if.h> as SIOCGIFFLAGS and SIOCSIFFLAGS read it: the interface
// name and, in the union that follows, its flags (the union is 24 bytes).
type ifreq struct {
	name  [syscall.IFNAMSIZ]byte
	flags uint16
	_     [22]byte
}

// LoopbackUp sets IFF_UP on lo in the calling thread's network namespace.
func LoopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var r ifreq
	copy(r.name[:], "lo")
	if err := ioctl(fd, syscall.SIOCGIFFLAGS, &r); err != nil {
		return err
	}
	r.flags |= syscall.IFF_UP
	return ioctl(fd, syscall.SIOCSIFFLAGS, &r)
}

func ioctl(fd int, req uintptr, r *ifreq) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(r))); errno != 0 {
		return errno
	}
	return nil
}
