package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestShowProgress(t *testing.T) {
	var out bytes.Buffer
	updates := make(chan v1.Update, 8)
	wait := showProgress(&out, "localhost:5000/x:v1", updates)
	for _, done := range []int64{0, 512, 512, 2048} {
		updates <- v1.Update{Total: 2048, Complete: done}
	}
	close(updates)
	wait()
	got := out.String()
	for _, want := range []string{"pushing localhost:5000/x:v1: 0 B / 2.0 KiB (0%)", "512 B / 2.0 KiB (25%)", "2.0 KiB / 2.0 KiB (100%)\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress %q does not contain %q", got, want)
		}
	}
	if n := strings.Count(got, "(25%)"); n != 1 {
		t.Errorf("25%% shown %d times, want once: repeated updates are not redrawn", n)
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return false }

func TestRetryable(t *testing.T) {
	cases := map[string]struct {
		err  error
		want bool
	}{
		"TimeoutShouldBeRetried":            {err: &net.OpError{Op: "read", Err: timeoutError{}}, want: true},
		"DeadlineOfARequestShouldBeRetried": {err: fmt.Errorf("get: %w", timeoutError{}), want: true},
		"UnexpectedEOFShouldBeRetried":      {err: io.ErrUnexpectedEOF, want: true},
		"ServiceUnavailableShouldBeRetried": {err: &transport.Error{StatusCode: http.StatusServiceUnavailable}, want: true},
		"TooManyRequestsShouldBeRetried":    {err: &transport.Error{StatusCode: http.StatusTooManyRequests}, want: true},
		"UnauthorizedShouldNotBeRetried":    {err: &transport.Error{StatusCode: http.StatusUnauthorized}, want: false},
		"CancelledShouldNotBeRetried":       {err: context.Canceled, want: false},
		"OtherErrorsShouldNotBeRetried":     {err: errors.New("manifest invalid"), want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := retryable(tc.err); got != tc.want {
				t.Errorf("retryable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
