package tree

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

func TestApply(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	cases := map[string]struct {
		reason string
		ctx    context.Context
		// blocked is a path made a file, so that nothing can be written below it.
		blocked string
		wantErr string
		// changed says whether the changes land; otherwise the tree stays as it was.
		changed bool
	}{
		"AllWrittenShouldLand": {
			reason:  "Without a failure every change lands: written, replaced and deleted files.",
			ctx:     context.Background(),
			changed: true,
		},
		"UnwritableTargetShouldChangeNothing": {
			reason:  "One file that cannot be written (its folder is a file) leaves every other file as it was, and no temporary file behind.",
			ctx:     context.Background(),
			blocked: "z",
			wantErr: "cannot write",
		},
		"InterruptShouldChangeNothing": {
			reason:  "An interrupt before the renames leaves the tree as it was.",
			ctx:     cancelled,
			wantErr: "interrupted before writing",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(rel, content string) {
				p := filepath.Join(dir, rel)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("a/old.yaml", "old\n")
			write("a/stale.yaml", "stale\n")
			if tc.blocked != "" {
				write(tc.blocked, "a file where a folder should be\n")
			}
			before := testtools.Snapshot(t, dir)
			changes := []Change{
				{Path: filepath.Join(dir, "a", "new.yaml"), New: []byte("new\n")},
				{Path: filepath.Join(dir, "a", "old.yaml"), Old: []byte("old\n"), New: []byte("replaced\n")},
				{Path: filepath.Join(dir, "a", "stale.yaml"), Old: []byte("stale\n")},
				{Path: filepath.Join(dir, "z", "last.yaml"), New: []byte("last\n")},
			}

			err := Apply(tc.ctx, changes)

			if tc.wantErr == "" && err != nil {
				t.Fatalf("%s\nApply(...): %v", tc.reason, err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "nothing was changed")) {
				t.Fatalf("%s\nApply(...): %v; want an error containing %q and saying nothing was changed", tc.reason, err, tc.wantErr)
			}
			want := before
			if tc.changed {
				want = map[string]string{"a/new.yaml": "new\n", "a/old.yaml": "replaced\n", "z/last.yaml": "last\n"}
			}
			if diff := cmp.Diff(want, testtools.Snapshot(t, dir)); diff != "" {
				t.Errorf("%s\nfiles after Apply(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
