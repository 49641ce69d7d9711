package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/truss-dev/truss/internal/testenv"
)

// call runs a subcommand in-process.
func call(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func sha(data string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(data))) }

func TestSubcommands(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) // prepares dir before the run
		args  []string                       // "DIR" is replaced by the test's directory
		code  int
		out   string
		err   string // exact stderr; ignored when errHas is set
		// errHas is a substring stderr must hold (usage text is not pinned).
		errHas string
		check  func(t *testing.T, dir string) // inspects dir after the run
	}{
		{name: "stdio defaults", args: []string{"stdio"}, out: "output message\n", err: "error message\n"},
		{name: "stdio custom", args: []string{"stdio", "-out", "to out", "-err", "to err"}, out: "to out\n", err: "to err\n"},
		{name: "print-path", args: []string{"print-path", "-p", "/mnt/in put.txt"}, out: "/mnt/in put.txt\n"},
		{name: "raise-exception default", args: []string{"raise-exception"}, code: 1, err: "Exception raised by the test container\n"},
		{name: "raise-exception custom", args: []string{"raise-exception", "-m", "boom"}, code: 1, err: "boom\n"},
		{name: "id", args: []string{"id"}, out: fmt.Sprintf("%d:%d\n", os.Getuid(), os.Getgid())},
		{name: "sleep", args: []string{"sleep", "-d", "1ms"}},
		{
			name: "write",
			args: []string{"write", "-p", "DIR/out.txt", "-m", "written\ntext"},
			setup: func(t *testing.T, dir string) {
				// Truncated, not appended to.
				mustWrite(t, filepath.Join(dir, "out.txt"), "an older and longer content")
			},
			check: func(t *testing.T, dir string) {
				if got := mustRead(t, filepath.Join(dir, "out.txt")); got != "written\ntext" {
					t.Errorf("file holds %q", got)
				}
			},
		},
		{name: "write empty text", args: []string{"write", "-p", "DIR/empty", "-m", ""}, check: func(t *testing.T, dir string) {
			if got := mustRead(t, filepath.Join(dir, "empty")); got != "" {
				t.Errorf("file holds %q", got)
			}
		}},
		{name: "write into missing dir", args: []string{"write", "-p", "DIR/no/such", "-m", "x"}, code: 1, errHas: "gwtest write: open "},
		{
			name:  "read",
			setup: func(t *testing.T, dir string) { mustWrite(t, filepath.Join(dir, "in"), "line 1\nline 2") },
			args:  []string{"read", "-p", "DIR/in"},
			out:   "line 1\nline 2",
		},
		{name: "read missing", args: []string{"read", "-p", "DIR/missing"}, code: 1, errHas: "no such file or directory"},
		{
			name: "listdir",
			setup: func(t *testing.T, dir string) {
				for _, name := range []string{"b.txt", "a.txt", "C"} {
					mustWrite(t, filepath.Join(dir, name), "")
				}
				if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
					t.Fatal(err)
				}
			},
			args: []string{"listdir", "-p", "DIR"},
			out:  "C\na.txt\nb.txt\nsub\n",
		},
		{
			name:  "input-pipe from a file",
			setup: func(t *testing.T, dir string) { mustWrite(t, filepath.Join(dir, "in"), "hello") },
			args:  []string{"input-pipe", "-p", "DIR/in"},
			out:   "5 " + sha("hello") + "\n",
		},
		{
			name:  "input-pipe empty",
			setup: func(t *testing.T, dir string) { mustWrite(t, filepath.Join(dir, "in"), "") },
			args:  []string{"input-pipe", "-p", "DIR/in"},
			out:   "0 " + sha("") + "\n",
		},
		{name: "output-pipe to a file", args: []string{"output-pipe", "-p", "DIR/out", "-m", "piped"}, check: func(t *testing.T, dir string) {
			if got := mustRead(t, filepath.Join(dir, "out")); got != "piped\n" {
				t.Errorf("file holds %q", got)
			}
		}},
		{name: "progress to a file", args: []string{"progress", "-p", "DIR/progress", "-n", "3"}, check: func(t *testing.T, dir string) {
			want := `{"message":"step 1 of 3","current":1,"total":3}` + "\n" +
				`{"message":"step 2 of 3","current":2,"total":3}` + "\n" +
				`{"message":"step 3 of 3","current":3,"total":3}` + "\n"
			if got := mustRead(t, filepath.Join(dir, "progress")); got != want {
				t.Errorf("progress file:\n%s\nwant:\n%s", got, want)
			}
		}},
		{name: "progress zero lines", args: []string{"progress", "-p", "DIR/progress", "-n", "0"}, check: func(t *testing.T, dir string) {
			if got := mustRead(t, filepath.Join(dir, "progress")); got != "" {
				t.Errorf("progress file holds %q", got)
			}
		}},

		// Usage errors exit 2 and say what is wrong.
		{name: "no subcommand", args: nil, code: 2, errHas: "usage: gwtest SUBCOMMAND"},
		{name: "unknown subcommand", args: []string{"frobnicate"}, code: 2, errHas: `unknown subcommand "frobnicate"`},
		{name: "missing required flag", args: []string{"write", "-p", "DIR/x"}, code: 2, errHas: "gwtest write: -m is required\nusage: gwtest write -p PATH -m TEXT"},
		{name: "undefined flag", args: []string{"id", "-x"}, code: 2, errHas: "flag provided but not defined: -x"},
		{name: "positional argument", args: []string{"stdio", "extra"}, code: 2, errHas: `unexpected arguments ["extra"]`},
		{name: "bad duration", args: []string{"sleep", "-d", "soon"}, code: 2, errHas: `invalid value "soon" for flag -d`},
		{name: "negative count", args: []string{"progress", "-p", "DIR/p", "-n", "-1"}, code: 2, errHas: "must not be negative"},
		{name: "bad count", args: []string{"progress", "-p", "DIR/p", "-n", "many"}, code: 2, errHas: `invalid value "many" for flag -n`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "DIR", dir)
			}
			code, out, errOut := call(args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if out != tc.out {
				t.Errorf("stdout %q, want %q", out, tc.out)
			}
			if tc.errHas != "" {
				if !strings.Contains(errOut, tc.errHas) {
					t.Errorf("stderr %q lacks %q", errOut, tc.errHas)
				}
			} else if errOut != tc.err {
				t.Errorf("stderr %q, want %q", errOut, tc.err)
			}
			if tc.check != nil {
				tc.check(t, dir)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, out, errOut := call("help")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for name, cmd := range commands {
		if line := strings.TrimRight("  "+name+" "+cmd.synopsis, " ") + "\n"; !strings.Contains(out, line) {
			t.Errorf("help lacks %q:\n%s", line, out)
		}
	}
}

func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInputPipeThroughFIFO(t *testing.T) {
	fifo := mkfifo(t)
	// More than a pipe buffer (64 KiB), so the writer blocks on the reader.
	data := make([]byte, 1<<20+7)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	writeErr := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			writeErr <- err
			return
		}
		_, err = f.Write(data)
		writeErr <- errors.Join(err, f.Close())
	}()
	code, out, errOut := call("input-pipe", "-p", fifo)
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d %x\n", len(data), sha256.Sum256(data))
	if code != 0 || out != want {
		t.Fatalf("exit %d, stdout %q, stderr %q; want stdout %q", code, out, errOut, want)
	}
}

func TestOutputPipeThroughFIFO(t *testing.T) {
	fifo := mkfifo(t)
	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := call("output-pipe", "-p", fifo, "-m", "through the pipe")
		done <- result{code, out, errOut}
	}()
	got, err := os.ReadFile(fifo) // EOF once the writer closes
	if err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.code != 0 || r.out != "" || r.errOut != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.out, r.errOut)
	}
	if string(got) != "through the pipe\n" {
		t.Fatalf("pipe carried %q", got)
	}
}

func TestProgressThroughFIFO(t *testing.T) {
	fifo := mkfifo(t)
	const n, delay = 4, 20 * time.Millisecond
	done := make(chan int, 1)
	go func() {
		code, _, _ := call("progress", "-p", fifo, "-n", fmt.Sprint(n), "-delay", delay.String())
		done <- code
	}()
	f, err := os.Open(fifo)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	var arrivals []time.Duration
	sc := bufio.NewScanner(f)
	i := 0
	for sc.Scan() {
		i++
		arrivals = append(arrivals, time.Since(start))
		var p progressLine
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("line %d %q: %v", i, sc.Text(), err)
		}
		want := progressLine{fmt.Sprintf("step %d of %d", i, n), i, n}
		if p != want {
			t.Errorf("line %d: %+v, want %+v", i, p, want)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if i != n {
		t.Fatalf("%d lines, want %d", i, n)
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit code %d", code)
	}
	// Lines arrive one by one, not in one burst at close: the last comes at
	// least (n-1) delays after the first. Only a lower bound, so a slow
	// machine cannot make this flaky.
	if gap := arrivals[n-1] - arrivals[0]; gap < (n-1)*delay {
		t.Errorf("lines arrived within %v, want at least %v apart in all", gap, (n-1)*delay)
	}
}

// TestBinary runs the built program: exit codes through os.Exit, and the
// signal subcommands, which cannot run in-process (they change the test
// process's signal handling).
func TestBinary(t *testing.T) {
	goTool := testenv.Tool(t, "go")
	bin := filepath.Join(t.TempDir(), "gwtest")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	t.Run("exit codes", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			code int
		}{
			{[]string{"stdio"}, 0},
			{[]string{"raise-exception"}, 1},
			{[]string{"read", "-p", "/nonexistent/x"}, 1},
			{nil, 2},
			{[]string{"sleep"}, 2},
		} {
			cmd := exec.Command(bin, tc.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Errorf("gwtest %q: exit %d (%v), want %d; stderr %q", tc.args, code, err, tc.code, stderr.String())
			}
		}
	})

	t.Run("sigterm is handled", func(t *testing.T) {
		p := start(t, bin, "sigterm")
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Fatal("still running 10s after SIGTERM")
		}
		if p.err != nil {
			t.Fatalf("exit after SIGTERM: %v", p.err)
		}
		if p.rest != "received SIGTERM\n" {
			t.Fatalf("after SIGTERM printed %q", p.rest)
		}
	})

	t.Run("sigkill ignores SIGTERM", func(t *testing.T) {
		p := start(t, bin, "sigkill")
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-p.done:
			t.Fatalf("SIGTERM ended it: %v", p.err)
		case <-time.After(300 * time.Millisecond):
		}
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-p.done
		ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("ended with %v, want killed by SIGKILL", p.cmd.ProcessState)
		}
	})
}

// proc is a started gwtest; err and rest are set when done is closed.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error  // from Wait
	rest string // stdout after the "started" line
}

// start runs bin with args and returns once it printed "started" (its
// signal handling is in place by then). The process is killed at cleanup.
func start(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewReader(stdout)
	first, readErr := lines.ReadString('\n')
	go func() {
		// Read to EOF before Wait, which closes the pipe.
		rest, _ := io.ReadAll(lines)
		p.rest = string(rest)
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	if readErr != nil || first != "started\n" {
		t.Fatalf("first line %q (%v), want %q", first, readErr, "started\n")
	}
	return p
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
