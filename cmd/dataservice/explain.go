package main

import (
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/function-dataservice/function-dataservice/apis"
	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/fieldref"
	"github.com/function-dataservice/function-dataservice/internal/scaffold"
)

type explainCmd struct {
	Path      string   `arg:"" optional:"" placeholder:"FIELD" help:"Field path, e.g. spec.compositions.backend; indices such as [0] are ignored. A path starting with overlay (overlay.spec.plans) explains the DataServiceOverlay."`
	CRDs      []string `name:"crd" placeholder:"FILE_OR_DIR" help:"Explain the kind an operator's CRD defines instead (the paths a backend's fields map to), from its file, folder or multi-document manifest." predictor:"file"`
	Kind      string   `placeholder:"KIND" help:"Kind whose fields to explain: DataService (default) or DataServiceOverlay; with --crd, the CRD's kind (Kind or Kind.group) when it defines several."`
	Version   string   `placeholder:"VERSION" help:"With --crd, the CRD's version (default: its storage version)."`
	Recursive bool     `short:"r" help:"List every field below, without descriptions."`
	Markdown  bool     `help:"Write the reference of every field below as one Markdown page."`
}

func (c *explainCmd) Help() string {
	return `Explain shows the fields of a DataService as 'kubectl explain' would, from the schema this
version serves, without a cluster, and those of a DataServiceOverlay (which has no API in a
cluster) from the schema overlays are decoded with. Error messages of generate name the path to
explain.

Examples:
  # What a composition's backend holds.
  dataservice explain spec.compositions.backend

  # Every field of the plan catalog.
  dataservice explain spec.plan -r

  # What an overlay may change, and how it edits plans.
  dataservice explain overlay
  dataservice explain overlay.spec.plans

  # The whole reference as a Markdown page.
  dataservice explain --markdown > dataservice-reference.md
  dataservice explain --kind DataServiceOverlay --markdown > overlay-reference.md

  # Where a backend's fields may map to: the fields of an operator's kind, from its CRD.
  dataservice explain --crd examples/internal/crds/postgresql.cnpg.io_clusters.yaml spec.storage
`
}

func (c *explainCmd) Run(s streams) error {
	if len(c.CRDs) > 0 {
		ref, err := c.crdReference()
		if err != nil {
			return err
		}
		if c.Markdown {
			return fieldref.Markdown(s.Out, ref, c.Path)
		}
		return fieldref.Explain(s.Out, ref, c.Path, c.Recursive)
	}
	kind, path := c.Kind, c.Path
	if kind != "" && kind != v1alpha1.DataServiceKind && kind != v1alpha1.DataServiceOverlayKind {
		return errors.Errorf("--kind %s: without --crd, explain knows DataService and DataServiceOverlay", kind)
	}
	if kind == "" {
		kind = v1alpha1.DataServiceKind
	}
	// "overlay" (or the kind's name) as the first segment of the path names the overlay.
	for _, p := range []string{"overlay", v1alpha1.DataServiceOverlayKind} {
		if rest, ok := strings.CutPrefix(path, p); ok && (rest == "" || rest[0] == '.') {
			kind, path = v1alpha1.DataServiceOverlayKind, strings.TrimPrefix(rest, ".")
		}
	}
	ref := fieldref.Reference{Kind: kind, APIVersion: v1alpha1.GroupVersion.String()}
	var err error
	if kind == v1alpha1.DataServiceOverlayKind {
		ref.Schema, err = apis.OverlaySchema()
	} else {
		ref.Schema, err = apis.DataServiceSchema()
	}
	if err != nil {
		return err
	}
	if c.Markdown {
		return fieldref.Markdown(s.Out, ref, path)
	}
	return fieldref.Explain(s.Out, ref, path, c.Recursive)
}

// crdReference is the schema of the kind and version of the CRDs --crd names.
func (c *explainCmd) crdReference() (fieldref.Reference, error) {
	crds, err := loadCRDs(c.CRDs)
	if err != nil {
		return fieldref.Reference{}, err
	}
	crd, v, err := scaffold.Pick(crds, c.Kind, c.Version)
	if err != nil {
		return fieldref.Reference{}, err
	}
	return fieldref.Reference{Kind: crd.Object.Spec.Names.Kind, APIVersion: crd.Object.Spec.Group + "/" + v.Name, Schema: v.Schema.OpenAPIV3Schema}, nil
}
