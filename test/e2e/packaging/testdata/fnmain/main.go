// Command fnmain stands in for function-dataservice in the package tests: the packaging does not
// depend on what the binary does, and this one cross-compiles in seconds.
package main

import "fmt"

func main() { fmt.Println("function stand-in") }
