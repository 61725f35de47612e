// Package version holds the version of the binaries, set at build time with
// -ldflags "-X github.com/function-dataservice/function-dataservice/internal/version.Version=v0.1.0".
package version

// Version of this build; "dev" when built without the Makefile.
var Version = "dev"
