// Command printversion prints version.String, so tests can check the stamp
// of a real binary built with ldflags or with VCS build info.
package main

import (
	"fmt"

	"github.com/ossx/ossx/internal/version"
)

func main() { fmt.Println(version.String("printversion")) }
