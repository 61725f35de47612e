package main

import (
	"fmt"

	"github.com/function-dataservice/function-dataservice/internal/version"
)

type versionCmd struct{}

func (c *versionCmd) Run(s streams) error {
	_, err := fmt.Fprintln(s.Out, version.Version)
	return err
}
