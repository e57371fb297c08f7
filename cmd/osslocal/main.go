// Command osslocal serves the Alibaba Cloud OSS API on a local address.
// The program is internal/app/osslocal, which the multi-call cmd/ossx runs too.
package main

import (
	"os"

	"github.com/ossx/ossx/internal/app/osslocal"
)

func main() { os.Exit(osslocal.Main(os.Args)) }
