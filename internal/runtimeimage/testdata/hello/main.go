// Command hello stands in for a function binary in tests: small and quick to cross-compile.
package main

import "fmt"

func main() { fmt.Println("hello from a runtime image") }
