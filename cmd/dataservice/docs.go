package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/function-dataservice/function-dataservice/internal/atomicfile"
	"github.com/function-dataservice/function-dataservice/internal/catalog"
)

type docsCmd struct {
	specFlags `embed:""`
	Output    string `short:"o" required:"" placeholder:"DIR" help:"Folder to write one Markdown page per DataService to (NAME.md)."`
}

func (c *docsCmd) Help() string {
	return `Docs writes, per DataService, the catalog page an app developer reads before binding its API:
the API (group, kind, versions), the services and plans each composition offers, the plan changes an
existing instance may make (as 'dataservice plans' evaluates them), every spec field and parameter
with its type, default, allowed values, description and rules, and an example object.

Everything on the page comes from the generated XRD, evaluated with the API server's own validation
code: the example is one the API server accepts, and a DataService whose rules cannot be evaluated
gets no page. Pages are written all-or-nothing and start with "` + catalog.Marker + `"; pages
of DataServices no longer given are deleted, and files without the marker are never touched.

Examples:
  # The catalog of Klutch's data services.
  dataservice docs -f examples/klutch -o docs/catalog/klutch

  # Keep it up to date in CI: regenerate and fail on a diff.
  dataservice docs -f specs/ -o docs/catalog && git diff --exit-code docs/catalog
`
}

func (c *docsCmd) Run(ctx context.Context, s streams) error {
	d, specs, crds, err := c.load()
	if err != nil {
		return err
	}
	pages := map[string][]byte{}
	from := map[string]string{}
	var errs []error
	for _, sp := range specs {
		name := sp.ds.Name + ".md"
		if w, ok := from[name]; ok {
			errs = append(errs, errors.Errorf("%s: a second DataService named %s (the first is in %s): write their pages to different folders", sp.where, sp.ds.Name, w))
			continue
		}
		from[name] = sp.where
		out, err := generateSpec(sp, d, crds)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p, err := catalog.Write(ctx, out)
		if err != nil {
			errs = append(errs, errors.Wrapf(err, "%s: DataService %s", sp.where, sp.ds.Name))
			continue
		}
		pages[name] = p.Markdown
	}
	if len(errs) > 0 {
		return errors.New(joinErrors(errs).Error() + "\nnothing was written")
	}
	stale, err := stalePages(c.Output, pages)
	if err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(pages))
	for _, n := range names {
		p := filepath.Join(c.Output, n)
		if old, err := os.ReadFile(p); err == nil && !bytes.HasPrefix(old, []byte(catalog.Marker)) {
			return errors.Errorf("refusing to overwrite %s, which dataservice docs did not write: move it away; nothing was written", p)
		}
	}
	written := 0
	for _, n := range names {
		p := filepath.Join(c.Output, n)
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, pages[n]) {
			continue
		}
		if err := atomicfile.WriteFile(p, pages[n], 0o644); err != nil {
			return err
		}
		written++
	}
	for _, p := range stale {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	fmt.Fprintf(s.Err, "%d catalog pages in %s (%d written, %d unchanged, %d deleted)\n", len(pages), c.Output, written, len(pages)-written, len(stale))
	return nil
}

// stalePages are the pages docs wrote into dir before whose DataService is no longer given.
func stalePages(dir string, pages map[string][]byte) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".md") || pages[e.Name()] != nil {
			continue
		}
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if bytes.HasPrefix(b, []byte(catalog.Marker)) {
			stale = append(stale, p)
		}
	}
	return stale, nil
}
