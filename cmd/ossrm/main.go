// Command ossrm deletes objects, prefixes and unfinished multipart uploads from OSS.
// The program is internal/app/ossrm, which the multi-call cmd/ossx runs too.
package main

import (
	"os"

	"github.com/ossx/ossx/internal/app/ossrm"
)

func main() { os.Exit(ossrm.Main(os.Args)) }
