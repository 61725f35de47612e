package testtools

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openTerminal opens a pseudo-terminal: the controller end the test reads and types into, and the
// terminal end a command gets as its stdin, stdout and stderr, as if it ran in a user's terminal
// (line discipline, echo, "\n" ending a line the command reads). Linux's /dev/ptmx, no library.
func openTerminal() (controller, terminal *os.File, err error) {
	c, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := int(c.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		_ = c.Close()
		return nil, nil, fmt.Errorf("cannot unlock the pseudo-terminal: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		_ = c.Close()
		return nil, nil, fmt.Errorf("cannot get the pseudo-terminal's number: %w", err)
	}
	term, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		_ = c.Close()
		return nil, nil, err
	}
	// A terminal of a usual size, for commands that lay out what they print.
	_ = unix.IoctlSetWinsize(int(term.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120})
	return c, term, nil
}
