// Command gwtest is the program inside truss's local docker test image
// (see modes/docker/dockertest). It stands in for Girder Worker's docker
// test image: one subcommand per behaviour the docker mode's tests need
// (stdio, files, named pipes, progress, signals, exit codes, user ids).
// It uses only the standard library so that it links statically and runs
// in an image holding nothing but itself and busybox.
package main

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"
)

// maxWait bounds the signal subcommands, so a test that forgets to stop
// its container does not leave it running forever.
const maxWait = 10 * time.Minute

type subcommand struct {
	synopsis string
	run      func(args []string, stdout, stderr io.Writer) int
}

// commands is filled in init: the subcommands refer back to it (for their
// usage line), which a plain initializer would make a cycle.
var commands map[string]subcommand

func init() {
	commands = map[string]subcommand{
		"stdio":           {"[-out TEXT] [-err TEXT]", cmdStdio},
		"write":           {"-p PATH -m TEXT", cmdWrite},
		"read":            {"-p PATH", cmdRead},
		"output-pipe":     {"-p PATH -m TEXT", cmdOutputPipe},
		"input-pipe":      {"-p PATH", cmdInputPipe},
		"progress":        {"-p PATH -n N [-delay DURATION]", cmdProgress},
		"sigterm":         {"", cmdSigterm},
		"sigkill":         {"", cmdSigkill},
		"print-path":      {"-p PATH", cmdPrintPath},
		"raise-exception": {"[-m TEXT]", cmdRaiseException},
		"listdir":         {"-p DIR", cmdListdir},
		"sleep":           {"-d DURATION", cmdSleep},
		"id":              {"", cmdID},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code, so tests can
// call it in-process.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "gwtest: unknown subcommand %q\n", args[0])
		usage(stderr)
		return 2
	}
	return cmd.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: gwtest SUBCOMMAND [flags]")
	for _, name := range names {
		fmt.Fprintln(w, strings.TrimRight("  "+name+" "+commands[name].synopsis, " "))
	}
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gwtest "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, strings.TrimSpace("usage: gwtest "+name+" "+commands[name].synopsis))
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args into fs and checks that each required flag was given
// (given, not non-empty: an empty -m is a valid text) and that no
// positional arguments remain. When ok is false the caller exits with code.
func parse(fs *flag.FlagSet, args []string, required ...string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		return usageError(fs, "unexpected arguments %q", fs.Args()), false
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, name := range required {
		if !given[name] {
			return usageError(fs, "-%s is required", name), false
		}
	}
	return 0, true
}

func usageError(fs *flag.FlagSet, format string, args ...any) int {
	fmt.Fprintf(fs.Output(), "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return 2
}

// done reports err, if any, as a runtime failure (exit 1).
func done(stderr io.Writer, name string, err error) int {
	if err != nil {
		fmt.Fprintf(stderr, "gwtest %s: %v\n", name, err)
		return 1
	}
	return 0
}

func cmdStdio(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("stdio", stderr)
	out := fs.String("out", "output message", "text written to stdout")
	errText := fs.String("err", "error message", "text written to stderr")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	fmt.Fprintln(stdout, *out)
	fmt.Fprintln(stderr, *errText)
	return 0
}

func cmdWrite(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("write", stderr)
	path := fs.String("p", "", "file to write (created or truncated)")
	text := fs.String("m", "", "text to write, without a newline")
	if code, ok := parse(fs, args, "p", "m"); !ok {
		return code
	}
	return done(stderr, "write", os.WriteFile(*path, []byte(*text), 0o644))
}

func cmdRead(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("read", stderr)
	path := fs.String("p", "", "file to copy to stdout")
	if code, ok := parse(fs, args, "p"); !ok {
		return code
	}
	f, err := os.Open(*path)
	if err != nil {
		return done(stderr, "read", err)
	}
	defer f.Close()
	_, err = io.Copy(stdout, f)
	return done(stderr, "read", err)
}

// openForWriting opens a named pipe (blocking until a reader opens it) or
// a regular file. O_TRUNC is ignored for pipes.
func openForWriting(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
}

func cmdOutputPipe(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("output-pipe", stderr)
	path := fs.String("p", "", "named pipe to write to")
	text := fs.String("m", "", "text to write (a newline is added)")
	if code, ok := parse(fs, args, "p", "m"); !ok {
		return code
	}
	f, err := openForWriting(*path)
	if err != nil {
		return done(stderr, "output-pipe", err)
	}
	_, err = io.WriteString(f, *text+"\n")
	return done(stderr, "output-pipe", errors.Join(err, f.Close()))
}

func cmdInputPipe(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("input-pipe", stderr)
	path := fs.String("p", "", "named pipe or file to read to EOF")
	if code, ok := parse(fs, args, "p"); !ok {
		return code
	}
	f, err := os.Open(*path)
	if err != nil {
		return done(stderr, "input-pipe", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return done(stderr, "input-pipe", err)
	}
	fmt.Fprintf(stdout, "%d %x\n", n, h.Sum(nil))
	return 0
}

// progressLine is the shape of Girder Worker's progress pipe messages.
type progressLine struct {
	Message string `json:"message"`
	Current int    `json:"current"`
	Total   int    `json:"total"`
}

func cmdProgress(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("progress", stderr)
	path := fs.String("p", "", "named pipe or file to write progress to")
	n := fs.Int("n", 0, "number of progress lines")
	delay := fs.Duration("delay", 0, "pause between lines")
	if code, ok := parse(fs, args, "p", "n"); !ok {
		return code
	}
	if *n < 0 || *delay < 0 {
		return usageError(fs, "-n and -delay must not be negative")
	}
	f, err := openForWriting(*path)
	if err != nil {
		return done(stderr, "progress", err)
	}
	for i := 1; i <= *n && err == nil; i++ {
		if i > 1 {
			time.Sleep(*delay)
		}
		line, _ := json.Marshal(progressLine{fmt.Sprintf("step %d of %d", i, *n), i, *n})
		// One unbuffered write per line: the reader sees each line as
		// soon as it is written.
		_, err = f.Write(append(line, '\n'))
	}
	return done(stderr, "progress", errors.Join(err, f.Close()))
}

// As PID 1 in a container the process has no default signal dispositions
// (the kernel drops signals PID 1 does not handle), so both signal
// subcommands install theirs explicitly.

func cmdSigterm(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sigterm", stderr)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	defer signal.Stop(sigs)
	fmt.Fprintln(stdout, "started")
	select {
	case <-sigs:
		// Exit 0, not 143: Girder Worker's test expects a container that
		// handles SIGTERM to end cleanly.
		fmt.Fprintln(stdout, "received SIGTERM")
		return 0
	case <-time.After(maxWait):
		fmt.Fprintf(stderr, "gwtest sigterm: no SIGTERM within %v\n", maxWait)
		return 1
	}
}

func cmdSigkill(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sigkill", stderr)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	signal.Ignore(syscall.SIGTERM)
	fmt.Fprintln(stdout, "started")
	time.Sleep(maxWait)
	fmt.Fprintf(stderr, "gwtest sigkill: not killed within %v\n", maxWait)
	return 1
}

func cmdPrintPath(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("print-path", stderr)
	path := fs.String("p", "", "path to print")
	if code, ok := parse(fs, args, "p"); !ok {
		return code
	}
	fmt.Fprintln(stdout, *path)
	return 0
}

func cmdRaiseException(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("raise-exception", stderr)
	msg := fs.String("m", "Exception raised by the test container", "message written to stderr")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	fmt.Fprintln(stderr, *msg)
	return 1
}

func cmdListdir(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("listdir", stderr)
	dir := fs.String("p", "", "directory to list")
	if code, ok := parse(fs, args, "p"); !ok {
		return code
	}
	entries, err := os.ReadDir(*dir) // sorted by name
	if err != nil {
		return done(stderr, "listdir", err)
	}
	for _, e := range entries {
		fmt.Fprintln(stdout, e.Name())
	}
	return 0
}

func cmdSleep(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sleep", stderr)
	d := fs.Duration("d", 0, "how long to sleep")
	if code, ok := parse(fs, args, "d"); !ok {
		return code
	}
	time.Sleep(*d)
	return 0
}

func cmdID(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("id", stderr)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	fmt.Fprintf(stdout, "%d:%d\n", os.Getuid(), os.Getgid())
	return 0
}
