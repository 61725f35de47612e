package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/atomicfile"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/scaffold"
)

type initCmd struct {
	Crossplane string   `enum:"v1,v2" default:"v1" help:"Crossplane line of the API: v1 (Klutch's 1.x: claims; an operator's namespaced CR inside a provider-kubernetes Object) or v2 (namespaced composites; the CR composed directly)."`
	Force      bool     `help:"Overwrite the spec file if it exists."`
	FromCRD    []string `name:"from-crd" placeholder:"FILE" help:"The operator's CRD (a file, a folder or a multi-document manifest) to scaffold an internal data service from; repeat for more files. Without it, init scaffolds an a9s service broker's service." predictor:"file"`
	Group      string   `default:"internal.example.com" help:"API group app developers use (your organisation's domain)."`
	Kind       string   `placeholder:"KIND" help:"The CRD's kind to compose (Kind, or Kind.group), when the CRDs define several."`
	Name       string   `placeholder:"NAME" help:"Name of the data service (a9s broker shape only), e.g. mongodb." default:"mydataservice"`
	Output     string   `short:"o" placeholder:"SPEC" help:"File to write the DataService to (default: stdout)."`
	Version    string   `placeholder:"VERSION" help:"The CRD's version to compose (default: its storage version)."`
}

func (c *initCmd) Help() string {
	return `Init writes a DataService to start from, as commented YAML, valid as written.

With --from-crd, it scaffolds an internal data service run by an operator from the operator's
CRD: the API's group and kind proposed from it, the backend composing the CRD's kind (on Crossplane
1.x inside a provider-kubernetes Object, named after the claim in its namespace), a catalog of plans
small, medium and large whose values map onto the fields the CRD sizes an instance with (the count of
servers, CPU and memory of a Kubernetes resources field, the volume size, as the CRD names them), a
service when the image has a default, the CRD's required fields in the base with its defaults, the
readiness the CRD's status tells (a ready field, the condition of a printer column, or the Ready
condition) and the status its printer columns show. Each choice has a comment; what the CRD offers
nothing for is said at the top of the file. Init generates what it wrote with the CRD before writing
it: 'dataservice generate --crd' with the same CRD accepts it as written.

Without --from-crd, it scaffolds an a9s data service behind an OSB service broker (Klutch's shape).

Examples:
  # An internal PostgreSQL run by CloudNativePG, for Crossplane 1.x (Klutch today).
  dataservice init --from-crd cnpg-crds.yaml --kind Cluster -o postgresql.yaml

  # Edit it, then generate with the same CRD: every path, type and plan is checked against it.
  dataservice generate -f postgresql.yaml --crd cnpg-crds.yaml -o _output/package

  # The same for Crossplane v2: the operator's CR composed directly.
  dataservice init --from-crd examples/internal/crds/hyperspike.io_valkeys.yaml --crossplane v2

  # An a9s service broker's service.
  dataservice init --name mongodb -o mongodb.yaml
`
}

// dnsLabel is what a data service's name must be.
var dnsLabel = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

func (c *initCmd) Run(ctx context.Context, s streams) error {
	var out []byte
	if len(c.FromCRD) == 0 {
		if !dnsLabel.MatchString(c.Name) {
			return fmt.Errorf("--name %q: must be a lower-case DNS label, e.g. mongodb", c.Name)
		}
		out = scaffold.Broker(scaffold.BrokerOptions{Name: c.Name, Line: c.Crossplane, Group: c.Group})
		fmt.Fprintf(s.Err, "scaffolded DataService %s of an a9s service broker's service (crossplaneVersion: %s, group %s)\n", c.Name, c.Crossplane, c.Group)
	} else {
		crds, err := backendcrd.Read(c.FromCRD...)
		if err != nil {
			return fmt.Errorf("--from-crd: %w", err)
		}
		src := c.FromCRD[0]
		if len(c.FromCRD) > 1 {
			src = "CRDS"
		}
		r, err := scaffold.FromCRD(crds, scaffold.Options{Kind: c.Kind, Version: c.Version, Line: c.Crossplane, Group: c.Group, CRDFile: src})
		if err != nil {
			return err
		}
		out = r.YAML
		for _, n := range r.Notes {
			fmt.Fprintf(s.Err, "note: %s\n", n)
		}
		fmt.Fprintf(s.Err, "scaffolded DataService %s composing %s %s (crossplaneVersion: %s, group %s)\n", r.Name, r.Kind.GroupVersion(), r.Kind.Kind, c.Crossplane, c.Group)
	}
	if _, err := v1alpha1.Decode(out); err != nil {
		return fmt.Errorf("scaffolded a DataService that does not decode (a bug of dataservice init): %w", err)
	}
	if c.Output == "" {
		_, err := s.Out.Write(out)
		return err
	}
	if _, err := os.Lstat(c.Output); err == nil && !c.Force {
		return fmt.Errorf("%s exists: pass --force to overwrite it, or -o another file", c.Output)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := atomicfile.Write(ctx, filepath.Clean(c.Output), 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(out))
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "wrote %s\n", c.Output)
	return nil
}
