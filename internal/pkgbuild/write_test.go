package pkgbuild

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteShouldLeaveNothingHalfWritten writes a package where it cannot land and when
// interrupted: the old file stays as it was, and no temporary file is left behind.
func TestWriteShouldLeaveNothingHalfWritten(t *testing.T) {
	root := tree(t, map[string]string{"crossplane.yaml": meta, "a/definition.yaml": xrd})
	p, err := Build(context.Background(), Source{Root: root}, Configuration, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	cases := map[string]struct {
		reason string
		ctx    context.Context
		// folder makes the target a folder, so that the rename fails.
		folder  bool
		wantErr string
	}{
		"InterruptedShouldKeepTheOldFile": {
			reason:  "An interrupt (ctx done) stops the write; the previous package stays.",
			ctx:     cancelled,
			wantErr: "interrupted",
		},
		"UnwritableTargetShouldLeaveNoTemporaryFile": {
			reason:  "A target that cannot be replaced (a folder is in the way) leaves no temporary file.",
			ctx:     context.Background(),
			folder:  true,
			wantErr: "cannot write",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "test.xpkg")
			want := "the previous package"
			if tc.folder {
				if err := os.MkdirAll(filepath.Join(file, "x"), 0o755); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			err := Write(tc.ctx, file, p.Image)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), file) {
				t.Fatalf("%s\nWrite(...): %v; want an error naming %s and containing %q", tc.reason, err, file, tc.wantErr)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != "test.xpkg" {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("%s\nfiles left: %v, want test.xpkg only", tc.reason, names)
			}
			if !tc.folder {
				if b, _ := os.ReadFile(file); string(b) != want {
					t.Errorf("%s\nthe previous package was changed", tc.reason)
				}
			}
		})
	}
}
