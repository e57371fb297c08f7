// Command ossuploader puts files, directories and stdin into OSS, verified end to end.
// The program is internal/app/ossuploader, which the multi-call cmd/ossx runs too.
package main

import (
	"os"

	"github.com/ossx/ossx/internal/app/ossuploader"
)

func main() { os.Exit(ossuploader.Main(os.Args)) }
