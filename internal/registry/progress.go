package registry

import (
	"fmt"
	"io"

	"github.com/dustin/go-humanize"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// showProgress renders upload progress on one line of w (a terminal) until updates is closed, which
// go-containerregistry does when the push ends; the returned function waits for that.
func showProgress(w io.Writer, what string, updates <-chan v1.Update) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		last, shown := -1, false
		for u := range updates {
			if u.Total <= 0 {
				continue
			}
			pct := int(u.Complete * 100 / u.Total)
			if pct == last {
				continue
			}
			last, shown = pct, true
			fmt.Fprintf(w, "\r\033[Kpushing %s: %s / %s (%d%%)", what, humanize.IBytes(uint64(u.Complete)), humanize.IBytes(uint64(u.Total)), pct)
		}
		if shown {
			fmt.Fprintln(w)
		}
	}()
	return func() { <-done }
}
