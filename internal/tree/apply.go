package tree

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/function-dataservice/function-dataservice/internal/atomicfile"
)

// Apply writes and deletes files, as nearly all-or-nothing as a file system allows: every new
// content is first written to a temporary file beside its target, and only once all are written
// are they renamed over their targets and stale files deleted. A failure or an interrupt (ctx
// done) while writing leaves the tree as it was, without temporary files or the folders made for
// them; the renames that follow are not interrupted. Each rename replaces its file atomically, so
// a reader never sees half of one; a symbolic link in a file's place is replaced, not followed.
func Apply(ctx context.Context, changes []Change) error {
	var staged []*atomicfile.Staged
	discard := func(from int) {
		for i := len(staged) - 1; i >= from; i-- {
			staged[i].Discard()
		}
	}
	for _, c := range changes {
		if c.New == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			discard(0)
			return fmt.Errorf("interrupted before writing %s: nothing was changed", c.Path)
		}
		s, err := atomicfile.Stage(ctx, c.Path, 0o644, func(w io.Writer) error {
			_, err := w.Write(c.New)
			return err
		})
		if err != nil {
			discard(0)
			return fmt.Errorf("cannot write %s: %w; nothing was changed", c.Path, err)
		}
		staged = append(staged, s)
	}
	for i, s := range staged {
		if err := s.Commit(); err != nil {
			discard(i + 1)
			return fmt.Errorf("cannot replace %s: %w (%d of %d files were replaced)", s.Path(), err, i, len(staged))
		}
	}
	for _, c := range changes {
		if c.New != nil {
			continue
		}
		if err := os.Remove(c.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Diff renders the changes as a unified diff.
func Diff(changes []Change) string {
	var b strings.Builder
	for _, c := range changes {
		from, to := c.Path, c.Path
		if c.Old == nil {
			from = "/dev/null"
		}
		if c.New == nil {
			to = "/dev/null"
		}
		d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(string(c.Old)), B: difflib.SplitLines(string(c.New)),
			FromFile: from, ToFile: to, Context: 3,
		})
		b.WriteString(d)
	}
	return b.String()
}
