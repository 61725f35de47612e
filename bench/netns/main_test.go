package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary plays both parts: netns (NETNS_TEST=main) and the command it runs
// (NETNS_TEST=child), which reports the interfaces it sees and whether loopback carries a connection.
func TestMain(m *testing.M) {
	switch os.Getenv("NETNS_TEST") {
	case "main":
		os.Args = append([]string{"netns"}, os.Args[1:]...)
		main()
		return
	case "child":
		child()
		return
	}
	os.Exit(m.Run())
}

func child() {
	ifs, err := net.Interfaces()
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	var names []string
	for _, i := range ifs {
		up := ""
		if i.Flags&net.FlagUp != 0 {
			up = "(up)"
		}
		names = append(names, i.Name+up)
	}
	fmt.Println("interfaces:", strings.Join(names, " "))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err == nil {
		var c net.Conn
		if c, err = net.Dial("tcp", l.Addr().String()); err == nil {
			c.Close()
		}
		l.Close()
	}
	fmt.Println("loopback:", err == nil)
}

// TestLoopbackOnly: the command runs where the only interface is lo, up, so servers on 127.0.0.1
// are reachable and nothing else is. Needs root, as make bench does.
func TestLoopbackOnly(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	// netns passes its environment on: env makes the command the child.
	cmd := exec.Command(os.Args[0], "--", "env", "NETNS_TEST=child", os.Args[0])
	cmd.Env = append(os.Environ(), "NETNS_TEST=main")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("netns: %v\n%s", err, out)
	}
	want := "interfaces: lo(up)\nloopback: true\n"
	if string(out) != want {
		t.Errorf("in the namespace:\n%s\nwant:\n%s", out, want)
	}
}
