package main

import (
	"github.com/function-dataservice/function-dataservice/apis"
	"github.com/function-dataservice/function-dataservice/internal/fieldref"
)

type explainCmd struct {
	Path      string `arg:"" optional:"" placeholder:"FIELD" help:"Field path, e.g. spec.compositions.backend; indices such as [0] are ignored."`
	Recursive bool   `short:"r" help:"List every field below, without descriptions."`
	Markdown  bool   `help:"Write the reference of every field below as one Markdown page."`
}

func (c *explainCmd) Help() string {
	return `Explain shows the fields of a DataService as 'kubectl explain' would, from the schema this
version serves, without a cluster. Error messages of generate name the path to explain.

Examples:
  # What a composition's backend holds.
  dataservice explain spec.compositions.backend

  # Every field of the plan catalog.
  dataservice explain spec.plan -r

  # The whole reference as a Markdown page.
  dataservice explain --markdown > dataservice-reference.md
`
}

func (c *explainCmd) Run(s streams) error {
	schema, err := apis.DataServiceSchema()
	if err != nil {
		return err
	}
	if c.Markdown {
		return fieldref.Markdown(s.Out, schema, c.Path)
	}
	return fieldref.Explain(s.Out, schema, c.Path, c.Recursive)
}
