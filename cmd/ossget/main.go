// Command ossget reads objects back out of OSS, verified, into files or stdout.
// The program is internal/app/ossget, which the multi-call cmd/ossx runs too.
package main

import (
	"os"

	"github.com/ossx/ossx/internal/app/ossget"
)

func main() { os.Exit(ossget.Main(os.Args)) }
