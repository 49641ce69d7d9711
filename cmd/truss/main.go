// Command truss runs declarative workflows; see `truss --help`.
package main

import (
	"os"

	"github.com/truss-dev/truss/cli"
)

func main() { os.Exit(cli.Run()) }
