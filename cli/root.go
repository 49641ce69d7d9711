// Package cli is truss's command line: cobra commands that parse flags,
// call the plain Go APIs of spec, dag, engine and converters, and render
// results as text or JSON.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes of the command-line contract.
const (
	ExitOK     = 0
	ExitFailed = 1 // the run failed while executing (a node failed, or a cancel)
	ExitUsage  = 2 // a problem found before any node ran
)

// ExitError carries an exit code; Msg (if any) is printed to stderr.
type ExitError struct {
	Code int
	Msg  string
}

func (e *ExitError) Error() string { return e.Msg }

func usageErr(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Msg: fmt.Sprintf(format, args...)}
}

// app holds what every command shares.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// isTTY reports whether stderr is a terminal (live progress bars).
	isTTY bool
	// getenv reads the environment (tests replace it).
	getenv func(string) string
}

// NewRoot builds the truss command tree.
func NewRoot(stdin io.Reader, stdout, stderr io.Writer, isTTY bool, getenv func(string) string) *cobra.Command {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, isTTY: isTTY, getenv: getenv}
	root := &cobra.Command{
		Use:           "truss",
		Short:         "A declarative workflow engine: specs compile into a DAG, formats convert themselves",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(a.runCmd(), a.resumeCmd(), a.runsCmd(), a.showCmd(), a.logsCmd(), a.gcCmd(), a.storeCmd(),
		a.planCmd(), a.validateCmd(), a.convertCmd(), a.formatsCmd(), a.configCmd())
	return root
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, isTTY bool, getenv func(string) string) int {
	root := NewRoot(stdin, stdout, stderr, isTTY, getenv)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Msg != "" {
			fmt.Fprintln(stderr, "truss: "+ee.Msg)
		}
		return ee.Code
	}
	// cobra's own errors: unknown command or flag, wrong arguments.
	fmt.Fprintln(stderr, "truss: "+err.Error())
	return ExitUsage
}

// Run is what cmd/truss calls.
func Run() int {
	return Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, isTerminal(os.Stderr), os.Getenv)
}
