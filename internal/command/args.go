package command

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/ossx"
)

// argvKey is where Main leaves the raw argument list in app.Metadata.
const argvKey = "ossx.argv"

// Args returns c's positional arguments, refusing one that looks like an
// option: urfave/cli stops parsing flags at the first argument, so
// "ossuploader a.jpg --json" would otherwise upload to the key "--json". A
// name that really starts with "-" is still possible after "--" (or as
// ./-name). "-" alone (stdin) is an argument.
func Args(c *cli.Context) ([]string, error) {
	args := c.Args().Slice()
	if argv, ok := c.App.Metadata[argvKey].([]string); ok && slices.Contains(argv, "--") {
		return args, nil
	}
	for _, a := range args {
		if len(a) > 1 && strings.HasPrefix(a, "-") {
			return nil, &ossx.UsageError{
				Err:  fmt.Errorf("option %s after the arguments", a),
				Hint: fmt.Sprintf("options go before the arguments: %s %s …; for a file named %s write ./%s or put -- before it", c.App.Name, a, a, a),
			}
		}
	}
	return args, nil
}
