package docker_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/modes/cmdline"
	"github.com/truss-dev/truss/modes/docker"
	"github.com/truss-dev/truss/modes/docker/dockertest"
)

// harness runs docker tasks against the real engine, each with its own
// run label, and checks afterwards that no container was left behind.
type harness struct {
	t     *testing.T
	m     *docker.Mode
	image string
	runID string
}

func newHarness(t *testing.T, opts docker.Options) *harness {
	t.Helper()
	img := dockertest.Image(t)
	if opts.Grace == 0 {
		opts.Grace = time.Second
	}
	h := &harness{t: t, m: docker.New(opts), image: img, runID: fmt.Sprintf("test-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))}
	t.Cleanup(func() {
		_ = h.m.Close()
		if left := dockertest.Leftovers(t, docker.LabelRun+"="+h.runID); len(left) > 0 {
			t.Errorf("containers left behind: %v", left)
			for _, id := range left {
				dockertest.Run(t, "rm", "-f", id)
			}
		}
	})
	return h
}

func port(name, typ, format, target string) modes.Port {
	p := modes.Port{Name: name, Type: typ, Format: format, Target: target}
	switch {
	case typ == "":
		p.Rep = formats.RepData
	case format == "text" || format == "csv" || format == "tsv":
		p.Rep = formats.RepText
	}
	return p
}

type result struct {
	outs     map[string]formats.Value
	log      string
	progress []modes.Progress
	err      error
	workDir  string
}

func (h *harness) run(ctx context.Context, task *modes.Task, in map[string]formats.Value) result {
	h.t.Helper()
	if task.Name == "" {
		task.Name = "step"
	}
	task.Mode = "docker"
	if task.Options == nil {
		task.Options = map[string]any{}
	}
	if _, ok := task.Options["docker_image"]; !ok {
		task.Options["docker_image"] = h.image
	}
	if _, ok := task.Options["pull_image"]; !ok {
		task.Options["pull_image"] = false
	}
	var log testenv.SyncBuffer
	var mu sync.Mutex
	var prog []modes.Progress
	dir := h.t.TempDir()
	outs, err := h.m.Run(ctx, modes.Request{Task: task, Inputs: in, WorkDir: dir, Log: &log,
		RunID: h.runID, NodeID: task.Name, Progress: func(p modes.Progress) {
			mu.Lock()
			prog = append(prog, p)
			mu.Unlock()
		}})
	return result{outs: outs, log: log.String(), progress: prog, err: err, workDir: dir}
}

func args(a ...string) []any {
	out := make([]any, len(a))
	for i, s := range a {
		out[i] = s
	}
	return out
}

func text(v formats.Value) string {
	if v.Bytes != nil {
		return string(v.Bytes)
	}
	if v.Path != "" {
		b, _ := os.ReadFile(v.Path)
		return string(b)
	}
	s, _ := v.Data.(string)
	return s
}

// Girder Worker's docker integration cases that need no Girder server.
func TestGirderWorkerCases(t *testing.T) {
	h := newHarness(t, docker.Options{})
	ctx := context.Background()
	big := make([]byte, 200<<10)
	for i := range big {
		big[i] = byte(i*7 + i/251)
	}
	sum := sha256.Sum256(big)
	bigWant := fmt.Sprintf("%d %s\n", len(big), hex.EncodeToString(sum[:]))

	cases := []struct {
		name  string
		task  modes.Task
		in    map[string]formats.Value
		check func(t *testing.T, r result)
	}{
		{
			name: "stdio to the log and to outputs",
			task: modes.Task{Outputs: []modes.Port{port("_stdout", "string", "text", ""), port("_stderr", "", "", "")},
				Options: map[string]any{"container_args": args("stdio")}},
			check: func(t *testing.T, r result) {
				if got := text(r.outs["_stdout"]); got != "output message\n" {
					t.Errorf("_stdout = %q", got)
				}
				if got := r.outs["_stderr"].Data; got != "error message\n" {
					t.Errorf("_stderr = %#v", got)
				}
				if !strings.Contains(r.log, "output message") || !strings.Contains(r.log, "error message") {
					t.Errorf("log lacks the container's output:\n%s", r.log)
				}
			},
		},
		{
			name: "mounted file read in the container",
			task: modes.Task{Inputs: []modes.Port{port("f", "string", "text", "filepath")}, Outputs: []modes.Port{port("_stdout", "string", "text", "")},
				Options: map[string]any{"container_args": args("read", "-p", "$input{f}")}},
			in: map[string]formats.Value{"f": {Type: "string", Format: "text", Bytes: []byte("file content")}},
			check: func(t *testing.T, r result) {
				if got := text(r.outs["_stdout"]); got != "file content" {
					t.Errorf("_stdout = %q", got)
				}
			},
		},
		{
			name: "named output pipe to the log",
			task: modes.Task{Options: map[string]any{
				"pipes":          []any{map[string]any{"name": "op", "direction": "out", "to": "_log"}},
				"container_args": args("output-pipe", "-p", "$pipe{op}", "-m", "message through a pipe")}},
			check: func(t *testing.T, r result) {
				if !strings.Contains(r.log, "message through a pipe\n") {
					t.Errorf("log lacks the pipe's message:\n%s", r.log)
				}
			},
		},
		{
			name: "named input pipe fed from an input (200 KB)",
			task: modes.Task{Inputs: []modes.Port{port("big", "string", "text", "filepath")}, Outputs: []modes.Port{port("_stdout", "string", "text", "")},
				Options: map[string]any{
					"pipes":          []any{map[string]any{"name": "ip", "direction": "in", "from": "big"}},
					"container_args": args("input-pipe", "-p", "$pipe{ip}")}},
			in: map[string]formats.Value{"big": {Type: "string", Format: "text", Bytes: big}},
			check: func(t *testing.T, r result) {
				if got := text(r.outs["_stdout"]); got != bigWant {
					t.Errorf("container read %q, want %q", got, bigWant)
				}
			},
		},
		{
			name: "input pipe the container never opens",
			task: modes.Task{Inputs: []modes.Port{port("big", "string", "text", "filepath")}, Outputs: []modes.Port{port("_stdout", "string", "text", "")},
				Options: map[string]any{
					"pipes":          []any{map[string]any{"name": "ip", "direction": "in", "from": "big"}},
					"container_args": args("print-path", "-p", "$pipe{ip}")}},
			in: map[string]formats.Value{"big": {Type: "string", Format: "text", Bytes: big}},
			check: func(t *testing.T, r result) {
				if got := text(r.outs["_stdout"]); got != cmdline.DataVolume+"/ip\n" {
					t.Errorf("_stdout = %q", got)
				}
			},
		},
		{
			name: "input pipe the container stops reading",
			task: modes.Task{Inputs: []modes.Port{port("big", "string", "text", "filepath")}, Outputs: []modes.Port{port("_stdout", "string", "text", "")},
				Options: map[string]any{
					"pipes":          []any{map[string]any{"name": "ip", "direction": "in", "from": "big"}},
					"entrypoint":     []any{"sh", "-c"},
					"container_args": args("head -c 10 $pipe{ip} | wc -c")}},
			in: map[string]formats.Value{"big": {Type: "string", Format: "text", Bytes: big}},
			check: func(t *testing.T, r result) {
				if got := strings.TrimSpace(text(r.outs["_stdout"])); got != "10" {
					t.Errorf("_stdout = %q", got)
				}
			},
		},
		{
			name: "stream input port (legacy form)",
			task: modes.Task{Inputs: []modes.Port{{Name: "big", Type: "string", Format: "text", Target: "filepath", Stream: true, Path: "big.in", Rep: formats.RepText}},
				Outputs: []modes.Port{port("_stdout", "string", "text", "")},
				Options: map[string]any{"container_args": args("input-pipe", "-p", cmdline.DataVolume+"/big.in")}},
			in: map[string]formats.Value{"big": {Type: "string", Format: "text", Bytes: big}},
			check: func(t *testing.T, r result) {
				if got := text(r.outs["_stdout"]); got != bigWant {
					t.Errorf("container read %q, want %q", got, bigWant)
				}
			},
		},
		{
			name: "stream output port",
			task: modes.Task{Outputs: []modes.Port{{Name: "so", Type: "string", Format: "text", Target: "filepath", Stream: true, Path: "so.txt", Rep: formats.RepText}},
				Options: map[string]any{"container_args": args("output-pipe", "-p", cmdline.DataVolume+"/so.txt", "-m", "streamed")}},
			check: func(t *testing.T, r result) {
				if got := text(r.outs["so"]); got != "streamed\n" {
					t.Errorf("so = %q", got)
				}
			},
		},
		{
			name: "written file becomes an output",
			task: modes.Task{Outputs: []modes.Port{{Name: "out", Type: "string", Format: "text", Target: "filepath", Path: "sub/out.txt", Rep: formats.RepText}},
				Options: map[string]any{"container_args": args("write", "-p", "$output{out}", "-m", "written by the container")}},
			check: func(t *testing.T, r result) {
				if got := text(r.outs["out"]); got != "written by the container" {
					t.Errorf("out = %q", got)
				}
			},
		},
		{
			name: "progress messages",
			task: modes.Task{Options: map[string]any{"progress_pipe": true, "container_args": args("progress", "-p", "$progress", "-n", "4")}},
			check: func(t *testing.T, r result) {
				if len(r.progress) != 4 {
					t.Fatalf("got %d progress reports, want 4: %+v", len(r.progress), r.progress)
				}
				want := modes.Progress{Message: "step 4 of 4", Current: 4, Total: 4}
				if last := r.progress[3]; last != want {
					t.Errorf("last progress = %+v, want %+v", last, want)
				}
			},
		},
		{
			name: "runs as the caller's uid:gid",
			task: modes.Task{Outputs: []modes.Port{port("_stdout", "string", "text", ""), {Name: "f", Type: "string", Format: "text", Target: "filepath", Path: "f.txt", Rep: formats.RepText}},
				Options: map[string]any{"entrypoint": []any{"sh", "-c"}, "container_args": args("/gwtest id && /gwtest write -p $output{f} -m x")}},
			check: func(t *testing.T, r result) {
				want := fmt.Sprintf("%d:%d\n", os.Getuid(), os.Getgid())
				if got := text(r.outs["_stdout"]); got != want {
					t.Errorf("id = %q, want %q", got, want)
				}
				fi, err := os.Stat(filepath.Join(r.workDir, "f.txt"))
				if err != nil {
					t.Fatal(err)
				}
				if uid := statUID(fi); uid != os.Getuid() {
					t.Errorf("file written by the container is owned by uid %d, want %d", uid, os.Getuid())
				}
			},
		},
		{
			name: "tempdir, flags and python str() of values",
			task: modes.Task{Inputs: []modes.Port{port("v", "", "", ""), port("on", "", "", ""), port("off", "", "", "")},
				Outputs: []modes.Port{port("_stdout", "string", "text", "")},
				Options: map[string]any{"entrypoint": []any{"sh", "-c", `for a; do echo "[$a]"; done`, "sh"},
					"container_args": args("$input{_tempdir}", "$flag{on}", "$flag{off}", "--x=$input{v}", "$tempdir/f")}},
			in: map[string]formats.Value{"v": {Data: 1.5}, "on": {Data: true}, "off": {Data: false}},
			check: func(t *testing.T, r result) {
				want := "[/mnt/girder_worker/data]\n[on]\n[--x=1.5]\n[/mnt/girder_worker/data/f]\n"
				if got := text(r.outs["_stdout"]); got != want {
					t.Errorf("args:\n%s\nwant:\n%s", got, want)
				}
			},
		},
		{
			name: "docker_run_args: environment, working_dir, network_disabled",
			task: modes.Task{Outputs: []modes.Port{port("_stdout", "string", "text", "")},
				Options: map[string]any{
					"docker_run_args": map[string]any{"environment": map[string]any{"GREETING": "hello", "N": 2},
						"working_dir": "/tmp", "network_disabled": true, "mem_limit": "64m", "tty": true},
					"entrypoint":     []any{"sh", "-c"},
					"container_args": args(`echo "$GREETING $N $(pwd)"; ls /sys/class/net`)}},
			check: func(t *testing.T, r result) {
				if got := text(r.outs["_stdout"]); got != "hello 2 /tmp\nlo\n" {
					t.Errorf("_stdout = %q, want the environment, the working dir and only the loopback interface", got)
				}
			},
		},
		{
			name: "user: image keeps the image's user",
			task: modes.Task{Outputs: []modes.Port{port("_stdout", "string", "text", "")},
				Options: map[string]any{"user": "image", "container_args": args("id")}},
			check: func(t *testing.T, r result) {
				if got := text(r.outs["_stdout"]); got != "0:0\n" {
					t.Errorf("id = %q, want 0:0 (the image has no USER)", got)
				}
			},
		},
		{
			name: "temporary volume",
			task: modes.Task{Outputs: []modes.Port{port("_stdout", "string", "text", "")},
				Options: map[string]any{"volumes": []any{map[string]any{"name": "scratch", "temporary": true}},
					"entrypoint":     []any{"sh", "-c"},
					"container_args": args("/gwtest write -p $volume{scratch}/x -m 1 && /gwtest listdir -p $volume{scratch}")}},
			check: func(t *testing.T, r result) {
				if got := text(r.outs["_stdout"]); got != "x\n" {
					t.Errorf("listdir = %q", got)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			task := c.task
			r := h.run(ctx, &task, c.in)
			if r.err != nil {
				t.Fatalf("run: %v\nlog:\n%s", r.err, r.log)
			}
			c.check(t, r)
		})
	}
}

func TestBindVolumeAndOutsideInput(t *testing.T) {
	h := newHarness(t, docker.Options{})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data.txt"), []byte("from the host"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := h.run(context.Background(), &modes.Task{
		Inputs:  []modes.Port{port("f", "string", "text", "filepath")},
		Outputs: []modes.Port{port("_stdout", "string", "text", "")},
		Options: map[string]any{
			"volumes":        []any{map[string]any{"name": "data", "host_path": dir, "container_path": "/data", "mode": "ro"}},
			"entrypoint":     []any{"sh", "-c"},
			"container_args": args("cat $volume{data}/data.txt; echo; cat $input{f}; echo; touch /data/nope 2>/dev/null || echo read-only"),
		}}, map[string]formats.Value{"f": {Type: "string", Format: "text", Path: filepath.Join(dir, "data.txt")}})
	if r.err != nil {
		t.Fatalf("run: %v\n%s", r.err, r.log)
	}
	if got, want := text(r.outs["_stdout"]), "from the host\nfrom the host\nread-only\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
}

func TestFailures(t *testing.T) {
	h := newHarness(t, docker.Options{AllowedHostPaths: []string{"/nonexistent-root"}})
	ctx := context.Background()
	cases := []struct {
		name string
		task modes.Task
		want []string
	}{
		{"non-zero exit", modes.Task{Options: map[string]any{"container_args": args("raise-exception")}},
			[]string{"step step:", "Non-zero exit code from docker container (1).", "Exception raised by the test container"}},
		{"missing output file", modes.Task{Outputs: []modes.Port{{Name: "o", Type: "string", Format: "text", Target: "filepath", Rep: formats.RepText}},
			Options: map[string]any{"container_args": args("stdio")}},
			[]string{`output "o": Output filepath`, "does not exist."}},
		{"pull from a registry that does not answer", modes.Task{Options: map[string]any{"docker_image": "127.0.0.1:9/truss-test/none:1", "pull_image": true}},
			[]string{"pulling docker image 127.0.0.1:9/truss-test/none:1 failed"}},
		{"image not present, pull_image false", modes.Task{Options: map[string]any{"docker_image": "truss-test/absent:none", "pull_image": false}},
			[]string{"truss-test/absent:none is not present locally and pull_image is false"}},
		{"unknown executable", modes.Task{Options: map[string]any{"entrypoint": "/no/such/tool"}},
			[]string{"starting the container from", "/no/such/tool"}},
		{"bind volume outside the allowed roots", modes.Task{Options: map[string]any{"volumes": []any{map[string]any{"name": "d", "host_path": os.TempDir(), "container_path": "/d"}}}},
			[]string{"outside the allowed roots"}},
		{"output path outside the data volume", modes.Task{Outputs: []modes.Port{{Name: "o", Target: "filepath", Path: "/etc/passwd"}}},
			[]string{`must either start with "/mnt/girder_worker/data/"`}},
		{"$input naming no port", modes.Task{Options: map[string]any{"container_args": args("$input{nope}")}},
			[]string{"Could not expand token: $input{nope}"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			task := c.task
			r := h.run(ctx, &task, nil)
			if r.err == nil {
				t.Fatalf("run succeeded; want an error with %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(r.err.Error(), w) {
					t.Errorf("error %q lacks %q", r.err, w)
				}
			}
		})
	}
}

func TestDaemonDown(t *testing.T) {
	dockertest.Image(t) // same preconditions as the other tests
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no.sock"))
	m := docker.New(docker.Options{})
	defer m.Close()
	_, err := m.Run(context.Background(), modes.Request{WorkDir: t.TempDir(), Task: &modes.Task{Name: "s", Mode: "docker",
		Options: map[string]any{"docker_image": "x", "pull_image": false}}})
	var ue *docker.UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "no Docker engine answers at unix://") || !strings.Contains(err.Error(), "DOCKER_HOST") {
		t.Fatalf("err = %v, want a clear 'no Docker engine answers' error", err)
	}
}

// Cancellation: a container that handles SIGTERM ends within the grace
// period; one that ignores it is killed after it. Neither is left.
func TestCancel(t *testing.T) {
	for _, c := range []struct {
		cmd     string
		minTime time.Duration
	}{{"sigterm", 0}, {"sigkill", time.Second}} {
		t.Run(c.cmd, func(t *testing.T) {
			h := newHarness(t, docker.Options{Grace: time.Second})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var log testenv.SyncBuffer
			done := make(chan error, 1)
			go func() {
				_, err := h.m.Run(ctx, modes.Request{WorkDir: t.TempDir(), Log: &log, RunID: h.runID, NodeID: c.cmd,
					Task: &modes.Task{Name: c.cmd, Mode: "docker", Options: map[string]any{"docker_image": h.image, "pull_image": false, "container_args": args(c.cmd)}}})
				done <- err
			}()
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(log.String(), "started") {
				if time.Now().After(deadline) {
					t.Fatalf("container never started; log:\n%s", log.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
				if el := time.Since(start); el < c.minTime {
					t.Errorf("ended after %v: SIGTERM should not have stopped a container that ignores it; log:\n%s", el, log.String())
				}
			case <-time.After(60 * time.Second):
				t.Fatal("Run did not return after cancellation")
			}
			if c.cmd == "sigterm" && !strings.Contains(log.String(), "received SIGTERM") {
				t.Errorf("the container did not see SIGTERM; log:\n%s", log.String())
			}
		})
	}
}

func TestIdentityIsImageID(t *testing.T) {
	h := newHarness(t, docker.Options{})
	id, err := h.m.Identity(context.Background(), &modes.Task{Name: "s", Mode: "docker", Options: map[string]any{"docker_image": h.image, "pull_image": false}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(dockertest.Run(t, "image", "inspect", "--format", "{{.Id}}", h.image))
	if id != want {
		t.Errorf("identity = %q, want the image ID %q", id, want)
	}
}

// TestPinnedImageNotPulled: an image named by ID (or by digest) that is
// present runs without a pull, even with pull_image on (the default).
func TestPinnedImageNotPulled(t *testing.T) {
	h := newHarness(t, docker.Options{})
	id := strings.TrimSpace(dockertest.Run(t, "image", "inspect", "--format", "{{.Id}}", h.image))
	r := h.run(context.Background(), &modes.Task{Outputs: []modes.Port{port("_stdout", "string", "text", "")},
		Options: map[string]any{"docker_image": id, "pull_image": true, "container_args": args("print-path", "-p", "pinned")}}, nil)
	if r.err != nil {
		t.Fatalf("run: %v\n%s", r.err, r.log)
	}
	if got := text(r.outs["_stdout"]); got != "pinned\n" || strings.Contains(r.log, "pulling") {
		t.Errorf("stdout %q, log %q: want it run without a pull", got, r.log)
	}
}
