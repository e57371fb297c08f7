// Command gtail follows log files like tail -F and appends every new byte to OSS.
// The program is internal/app/gtail, which the multi-call cmd/ossx runs too.
package main

import (
	"os"

	"github.com/ossx/ossx/internal/app/gtail"
)

func main() { os.Exit(gtail.Main(os.Args)) }
