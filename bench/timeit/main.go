// Command timeit runs a command once and prints its wall time and peak resident memory as one JSON
// line, labelled for the benchmark report: what /usr/bin/time -v tells, with nanosecond wall time
// and in a form the report reads.
//
//	timeit --bench build --target dataservice --size 100 --round 3 -- bin/dataservice build root -o x.xpkg
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
)

type cli struct {
	Bench  string `required:"" help:"Benchmark the run belongs to, e.g. build."`
	Target string `required:"" help:"What is measured, e.g. dataservice or crossplane."`
	Case   string `help:"Case of the benchmark, e.g. first or repush."`
	Size   int    `help:"Size of the input, e.g. the number of data services."`
	Round  int    `help:"Round number."`
	Stdout string `placeholder:"FILE" help:"Keep the command's standard output in FILE."`

	CountFile    string   `placeholder:"FILE" help:"A log the command makes a server append to, e.g. a registry's access log."`
	CountPattern string   `placeholder:"REGEXP" help:"Count the lines matching REGEXP that the run added to --count-file, e.g. blob uploads."`
	Cmd          []string `arg:"" passthrough:"" help:"Command and its arguments."`
}

// result is one run, one JSON line.
type result struct {
	Bench  string  `json:"bench"`
	Target string  `json:"target"`
	Case   string  `json:"case,omitempty"`
	Size   int     `json:"size,omitempty"`
	Round  int     `json:"round"`
	WallMS float64 `json:"wall_ms"`
	MaxRSS int64   `json:"maxrss_kib"`
	Count  *int    `json:"count,omitempty"`
}

func main() {
	c := &cli{}
	ctx := kong.Parse(c, kong.Name("timeit"), kong.Description("Run a command and print its wall time and peak memory as JSON."))
	ctx.FatalIfErrorf(c.Run())
}

func (c *cli) Run() error {
	if len(c.Cmd) > 0 && c.Cmd[0] == "--" {
		c.Cmd = c.Cmd[1:]
	}
	if len(c.Cmd) == 0 {
		return fmt.Errorf("no command given")
	}
	var pattern *regexp.Regexp
	var offset int64
	if c.CountPattern != "" {
		var err error
		if pattern, err = regexp.Compile(c.CountPattern); err != nil {
			return err
		}
		if fi, err := os.Stat(c.CountFile); err == nil {
			offset = fi.Size()
		}
	}
	cmd := exec.Command(c.Cmd[0], c.Cmd[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return fmt.Errorf("%v: %w\n%s%s", c.Cmd, err, stdout.Bytes(), stderr.Bytes())
	}
	if c.Stdout != "" {
		if err := os.WriteFile(c.Stdout, stdout.Bytes(), 0o644); err != nil {
			return err
		}
	}
	r := result{Bench: c.Bench, Target: c.Target, Case: c.Case, Size: c.Size, Round: c.Round, WallMS: float64(wall.Microseconds()) / 1000}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSS = ru.Maxrss // KiB on Linux
	}
	if pattern != nil {
		n, err := countLines(c.CountFile, offset, pattern)
		if err != nil {
			return err
		}
		r.Count = &n
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// countLines counts the lines matching re written to path after offset. A server logs a request
// after answering it, so it is given a moment to finish writing.
func countLines(path string, offset int64, re *regexp.Regexp) (int, error) {
	time.Sleep(300 * time.Millisecond)
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return 0, err
	}
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if re.Match(sc.Bytes()) {
			n++
		}
	}
	return n, sc.Err()
}
