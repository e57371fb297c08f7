// Command ossls lists OSS buckets, objects and unfinished multipart uploads.
// The program is internal/app/ossls, which the multi-call cmd/ossx runs too.
package main

import (
	"os"

	app "github.com/ossx/ossx/internal/app/ossls"
)

func main() { os.Exit(app.Main(os.Args)) }
