// Command loadgen sends RunFunctionRequests to a composition function over gRPC with the SDK's
// generated client, as Crossplane does (one connection), and prints what it measured as one JSON
// line: throughput and latency percentiles, and the function's resident memory when given its pid.
//
// The requests are built by package fixtures from a DataService and the Composition that calls
// function-dataservice; the first response of every run is compared, object for object, with what
// function-dataservice composes, so that every function is measured producing the same output.
//
//	loadgen --address 127.0.0.1:9443 --target function-dataservice --concurrency 8 --duration 5s
//	loadgen --address 127.0.0.1:9444 --target function-go-templating --rate 1000 --pid 4242
//	loadgen --address 127.0.0.1:9443 --target function-dataservice --cold
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alecthomas/kong"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the proto codec encodedOnce wraps
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/function-dataservice/function-dataservice/bench/fixtures"
)

type cli struct {
	Address     string        `help:"Address of the function, served in plain text (--insecure)." placeholder:"HOST:PORT"`
	Target      string        `required:"" enum:"function-dataservice,function-patch-and-transform,function-go-templating,floor" help:"Which function is served there, and so which request to send (floor: bench/floor, sent function-dataservice's)."`
	Spec        string        `default:"examples/klutch/mongodb.yaml" type:"existingfile" help:"DataService the requests are built from."`
	Composition string        `default:"examples/render/composition.yaml" type:"existingfile" help:"Composition whose first step's input function-dataservice gets."`
	Cold        bool          `xor:"mode" help:"Send one request and report its latency: the first request a fresh function serves."`
	Concurrency int           `xor:"mode" help:"Closed loop: this many requests in flight, each sent when the last one returned."`
	Rate        float64       `xor:"mode" help:"Open loop: this many requests a second, on schedule; latency counts from when a request was due."`
	Duration    time.Duration `default:"5s" help:"How long to measure."`
	Warmup      time.Duration `default:"1s" help:"How long to send the same load before measuring."`
	MaxInflight int           `default:"100" help:"Open loop: requests in flight at most, as Crossplane runs at most --max-reconcile-rate (100) reconciles at once; a request due beyond waits, and its wait counts."`
	Timeout     time.Duration `default:"10s" help:"Deadline of each request."`
	PID         int           `name:"pid" help:"Process to read VmRSS (sampled while measuring) and VmHWM of, from /proc/PID/status."`
	Round       int           `help:"Round number, copied into the output."`
	Dump        string        `placeholder:"DIR" help:"Write the requests (protojson) and the expected composed resources to DIR and exit."`
}

// result is one measurement, one JSON line.
type result struct {
	Bench    string  `json:"bench"`
	Target   string  `json:"target"`
	Mode     string  `json:"mode"`
	Load     float64 `json:"load"`
	Round    int     `json:"round"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
	CPU      float64 `json:"cpu_us_per_req,omitempty"`
	RSSMax   int64   `json:"rss_max_kib,omitempty"`
	HWM      int64   `json:"hwm_kib,omitempty"`
}

func main() {
	c := &cli{}
	ctx := kong.Parse(c, kong.Name("loadgen"),
		kong.Description("Send RunFunctionRequests to a composition function and print throughput and latency as JSON."))
	ctx.FatalIfErrorf(c.Run())
}

func (c *cli) Run() error {
	set, err := fixtures.Load(fixtures.Source{Spec: c.Spec, Composition: c.Composition})
	if err != nil {
		return err
	}
	if c.Dump != "" {
		return dump(c.Dump, set)
	}
	if c.Address == "" {
		return fmt.Errorf("--address is required unless --dump")
	}
	if !c.Cold && c.Concurrency <= 0 && c.Rate <= 0 {
		return fmt.Errorf("give one of --cold, --concurrency N or --rate R")
	}
	req := set.Requests[c.Target]
	if c.Target == "floor" {
		req = set.Requests[fixtures.Ours]
	}

	// The request is encoded once: Crossplane, the real client, runs elsewhere, while the load
	// generator shares the machine's cores with the function it measures.
	wire, err := proto.Marshal(req)
	if err != nil {
		return err
	}
	codec := &encodedOnce{CodecV2: encoding.GetCodecV2("proto"), req: req, wire: wire}
	conn, err := grpc.NewClient(c.Address, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(codec)))
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := connect(conn, 30*time.Second); err != nil {
		return fmt.Errorf("cannot connect to %s at %s: %w", c.Target, c.Address, err)
	}
	client := fnv1.NewFunctionRunnerServiceClient(conn)
	call := func() (time.Duration, error) {
		ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
		defer cancel()
		start := time.Now()
		rsp, err := client.RunFunction(ctx, req)
		d := time.Since(start)
		if err != nil {
			return d, err
		}
		return d, fixtures.Check(rsp)
	}

	// Every run first proves that the function composes what ours does.
	first := time.Now()
	rsp, err := client.RunFunction(context.Background(), req)
	firstLatency := time.Since(first)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Target, err)
	}
	if err := fixtures.Compare(rsp, set.Composed); err != nil {
		return fmt.Errorf("%s does not compose what function-dataservice does: %w", c.Target, err)
	}

	r := result{Bench: "function", Target: c.Target, Round: c.Round}
	var lat []time.Duration
	var errs int
	var elapsed time.Duration
	switch {
	case c.Cold:
		r.Mode = "cold"
		lat, elapsed = []time.Duration{firstLatency}, firstLatency
	case c.Concurrency > 0:
		r.Mode, r.Load = "concurrency", float64(c.Concurrency)
		closedLoop(call, c.Concurrency, c.Warmup)
		stop := sample(c.PID, &r)
		lat, errs, elapsed = closedLoop(call, c.Concurrency, c.Duration)
		stop(len(lat))
	default:
		r.Mode, r.Load = "rate", c.Rate
		openLoop(call, c.Rate, c.MaxInflight, c.Warmup)
		stop := sample(c.PID, &r)
		lat, errs, elapsed = openLoop(call, c.Rate, c.MaxInflight, c.Duration)
		stop(len(lat))
	}
	slices.Sort(lat)
	r.Requests, r.Errors, r.Seconds = len(lat), errs, elapsed.Seconds()
	r.RPS = float64(len(lat)-errs) / elapsed.Seconds()
	r.P50, r.P99, r.Max = ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99)), ms(lat[len(lat)-1])
	if c.PID > 0 {
		_, r.HWM = readStatus(c.PID)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return err
	}
	if errs > 0 {
		// Counted in the output; the run goes on, as a function that fails under load is a result.
		fmt.Fprintf(os.Stderr, "loadgen: %s: %d of %d requests failed\n", c.Target, errs, len(lat))
	}
	return nil
}

// encodedOnce is the proto codec, but for the one request sent again and again, whose encoding it
// keeps.
type encodedOnce struct {
	encoding.CodecV2
	req  proto.Message
	wire []byte
}

func (c *encodedOnce) Marshal(v any) (mem.BufferSlice, error) {
	if v == c.req {
		return mem.BufferSlice{mem.SliceBuffer(c.wire)}, nil
	}
	return c.CodecV2.Marshal(v)
}

// connect waits until the connection is ready, so that no measured request pays for dialling.
func connect(conn *grpc.ClientConn, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn.Connect()
	for s := conn.GetState(); s != connectivity.Ready; s = conn.GetState() {
		if !conn.WaitForStateChange(ctx, s) {
			return fmt.Errorf("still %s after %s", s, timeout)
		}
	}
	return nil
}

// recorder collects latencies from many goroutines.
type recorder struct {
	mu   sync.Mutex
	lat  []time.Duration
	errs int
}

func (r *recorder) add(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat = append(r.lat, d)
	if err != nil {
		if r.errs < 3 {
			fmt.Fprintln(os.Stderr, "request failed:", err)
		}
		r.errs++
	}
}

// closedLoop keeps n requests in flight for d.
func closedLoop(call func() (time.Duration, error), n int, d time.Duration) ([]time.Duration, int, time.Duration) {
	rec := &recorder{}
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for time.Now().Before(end) {
				rec.add(call())
			}
		})
	}
	wg.Wait()
	return rec.lat, rec.errs, time.Since(start)
}

// openLoop sends rate requests a second for d, each on its schedule whatever the ones before did.
// A request's latency counts from when it was due, so a function that falls behind is charged for
// the wait (no coordinated omission).
func openLoop(call func() (time.Duration, error), rate float64, maxInflight int, d time.Duration) ([]time.Duration, int, time.Duration) {
	rec := &recorder{}
	sem := make(chan struct{}, maxInflight)
	var wg sync.WaitGroup
	start := time.Now()
	n := int(rate * d.Seconds())
	for i := range n {
		due := start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_, err := call()
			rec.add(time.Since(due), err)
		})
	}
	wg.Wait()
	return rec.lat, rec.errs, time.Since(start)
}

// sample records the largest VmRSS of pid until the returned func is called with the number of
// requests sent, and then the CPU time pid spent per request: a measure of the function's own
// work that other load on the machine disturbs less than latency does.
func sample(pid int, r *result) (stop func(requests int)) {
	if pid <= 0 {
		return func(int) {}
	}
	cpu0 := cpuTime(pid)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, _ := readStatus(pid); rss > r.RSSMax {
				r.RSSMax = rss
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func(requests int) {
		close(done)
		<-finished
		if requests > 0 {
			r.CPU = float64((cpuTime(pid) - cpu0).Microseconds()) / float64(requests)
		}
	}
}

// cpuTime is the user and system CPU time a process spent, from /proc/PID/stat.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: fields count from after it.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	// Clock ticks; USER_HZ is 100 on Linux.
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// readStatus reads VmRSS and VmHWM of a process, in KiB.
func readStatus(pid int) (rss, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var v int64
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &v); err == nil {
			rss = v
		}
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &v); err == nil {
			hwm = v
		}
	}
	return rss, hwm
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// dump writes each request as protojson and the expected composed resources as JSON.
func dump(dir string, set *fixtures.Set) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, req := range set.Requests {
		b, err := protojson.MarshalOptions{Multiline: true}.Marshal(req)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name+".request.json"), b, 0o644); err != nil {
			return err
		}
	}
	composed := map[string]any{}
	for name, s := range set.Composed {
		composed[name] = s.AsMap()
	}
	b, err := json.MarshalIndent(composed, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "composed.json"), b, 0o644)
}
