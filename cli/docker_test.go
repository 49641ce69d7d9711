package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/truss-dev/truss/modes/docker"
	"github.com/truss-dev/truss/modes/docker/dockertest"
)

// exampleImage tags the local busybox test image with the name the docker
// example uses (what examples/docker/build-image.sh builds by hand).
func exampleImage(t *testing.T) {
	t.Helper()
	dockertest.Run(t, "tag", dockertest.Busybox(t), "truss-example/busybox:latest")
}

func noLeftovers(t *testing.T, runID string) {
	t.Helper()
	if left := dockertest.Leftovers(t, docker.LabelRun+"="+runID); len(left) > 0 {
		t.Errorf("run %s left containers: %v", runID, left)
	}
}

// TestDockerExample: python step → docker step (csv file in, tsv file out)
// → python step, with converters inserted on both sides of the container.
func TestDockerExample(t *testing.T) {
	exampleImage(t)
	spec := filepath.Join("..", "examples", "docker", "workflow.yaml")
	doc := runDoc(t, spec)
	want := "3 wet stations: Aberdeen, Bergen, Cork (container: converted 4 lines)"
	if got := dataString(t, doc.Outputs["report"].Data); got != want {
		t.Errorf("report = %q, want %q", got, want)
	}
	// The container's file stays a file: --json gives its path.
	tsv, err := os.ReadFile(doc.Outputs["tsv"].Path)
	if err != nil {
		t.Fatalf("tsv output: %v", err)
	}
	if got := string(tsv); !strings.HasPrefix(got, "station\ttemp_c\train_mm\nAberdeen\t7.5\t2.2\n") {
		t.Errorf("tsv = %q", got)
	}
	noLeftovers(t, doc.RunID)

	plan := truss(t, "plan", spec)
	if plan.code != 0 {
		t.Fatalf("plan: exit %d\n%s", plan.code, plan.stderr)
	}
	for _, w := range []string{"clean.wet~rows>csv", "totsv.out~tsv>rows"} {
		if !strings.Contains(plan.stdout, w) {
			t.Errorf("plan lacks the converter %s:\n%s", w, plan.stdout)
		}
	}
}

// TestDockerBadInputs: each mistake is one clear message; those a spec
// shows are reported before any container starts (exit 2, file:line).
func TestDockerBadInputs(t *testing.T) {
	exampleImage(t)
	step := func(body string) string {
		return writeFile(t, "task.yaml", `
mode: docker
docker_image: truss-example/busybox:latest
pull_image: false
`+body)
	}
	cases := []struct {
		name string
		spec string
		code int
		want []string
	}{
		{"absolute output path outside the data volume", step(`
outputs: [{name: o, type: string, format: text, target: filepath, path: /etc/o.txt}]
container_args: [sh]
`), 2, []string{"task.yaml:6:11: step task: output \"o\"", `filepath output paths must either start with "/mnt/girder_worker/data/"`}},
		{"$input naming no port", step(`
inputs: [{name: table, type: string, format: text}]
container_args: [cat, "$input{tabel}"]
`), 2, []string{"task.yaml:7:17: step task: container_args[1]", "Could not expand token: $input{tabel}. The task's inputs are: table"}},
		{"unknown docker_run_args key", step(`
docker_run_args: {mem_limt: 1g}
container_args: ["true"]
`), 2, []string{`docker_run_args.mem_limt is not supported`, `did you mean "mem_limit"?`}},
		{"pipe from no input", step(`
pipes: [{name: p, direction: in, from: nope}]
container_args: [cat, "$pipe{p}"]
`), 2, []string{`pipes[0] (p): from "nope" names no input`}},
		{"image not present with pull_image false", writeFile(t, "absent.yaml", `
mode: docker
docker_image: truss-test/not-here:1
pull_image: false
container_args: ["true"]
`), 1, []string{"truss-test/not-here:1 is not present locally and pull_image is false"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := truss(t, "run", c.spec)
			if o.code != c.code {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", o.code, c.code, o.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(o.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, o.stderr)
				}
			}
		})
	}
}

// TestDockerDaemonDown: no engine at DOCKER_HOST fails the step with a
// message that says what to do.
func TestDockerDaemonDown(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "docker.sock"))
	spec := writeFile(t, "task.yaml", `
mode: docker
docker_image: truss-example/busybox:latest
container_args: ["true"]
`)
	o := truss(t, "run", spec)
	if o.code != 1 || !strings.Contains(o.stderr, "no Docker engine answers at unix://") || !strings.Contains(o.stderr, "start the Docker daemon") {
		t.Fatalf("exit %d, stderr:\n%s", o.code, o.stderr)
	}
}

func TestDockerGCCommand(t *testing.T) {
	dockertest.Docker(t)
	o := truss(t, "gc", "--docker", "--dry-run")
	if o.code != 0 || !strings.Contains(o.stdout, "docker: would remove") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
	}
	if o := truss(t, "config", "set", "docker.cache_timeout", "an hour"); o.code != 2 || !strings.Contains(o.stderr, "docker.cache_timeout must be a number of seconds") {
		t.Errorf("config set docker.cache_timeout 'an hour': exit %d, %s", o.code, o.stderr)
	}
}

// TestDockerKeepForGC: with docker.gc on (Girder Worker's setting) exited
// containers are kept for the collector instead of removed at once; the
// collection after the run removes those past docker.cache_timeout.
func TestDockerKeepForGC(t *testing.T) {
	exampleImage(t)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	spec := writeFile(t, "task.yaml", `
mode: docker
docker_image: truss-example/busybox:latest
pull_image: false
entrypoint: [echo, kept]
outputs: [{name: _stdout, type: string, format: text}]
`)
	env := map[string]string{"TRUSS_CONFIG": cfg}
	main := func(args ...string) (string, string, int) {
		var out, errOut strings.Builder
		code := Main(args, nil, &out, &errOut, false, func(k string) string { return env[k] })
		return out.String(), errOut.String(), code
	}
	for _, kv := range [][2]string{{"docker.gc", "true"}, {"docker.cache_timeout", "3600"}} {
		if _, e, code := main("config", "set", kv[0], kv[1]); code != 0 {
			t.Fatal(e)
		}
	}
	store := filepath.Join(t.TempDir(), "store")
	out, errOut, code := main("run", spec, "--store", store, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc runJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	left := dockertest.Leftovers(t, docker.LabelRun+"="+doc.RunID)
	if len(left) != 1 {
		t.Fatalf("with docker.gc on, run %s left %v; want its exited container kept", doc.RunID, left)
	}
	// Past the timeout, the next run's collection removes it.
	if _, e, code := main("config", "set", "docker.cache_timeout", "0"); code != 0 {
		t.Fatal(e)
	}
	if err := os.Remove(filepath.Join(store, "docker-gc.stamp")); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code = main("run", spec, "--store", store, "--no-cache"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "removed container") {
		t.Errorf("no collection reported after the run:\n%s", errOut)
	}
	if left := dockertest.Leftovers(t, docker.LabelRun+"="+doc.RunID); len(left) != 0 {
		dockertest.Run(t, append([]string{"rm", "-f"}, left...)...)
		t.Errorf("the collection after the run left %v", left)
	}
}

// TestDockerProgressAndCache: progress messages show while the step runs
// and the last one is in `truss show`; an unchanged rerun reuses the step
// (cached); moving the tag to another image reruns it, saying why.
func TestDockerProgressAndCache(t *testing.T) {
	gw := dockertest.Image(t)
	tag := fmt.Sprintf("truss-test/cache:%d", os.Getpid())
	dockertest.Run(t, "tag", gw, tag)
	t.Cleanup(func() { dockertest.Run(t, "rmi", tag) })
	spec := writeFile(t, "progress.yaml", `
mode: docker
docker_image: `+tag+`
pull_image: false
progress_pipe: true
container_args: [progress, -p, $progress, -n, "3"]
outputs: [{name: _stdout, type: string, format: text}]
`)
	store := filepath.Join(t.TempDir(), "store")
	o := truss(t, "run", spec, "--store", store)
	if o.code != 0 {
		t.Fatalf("exit %d\n%s", o.code, o.stderr)
	}
	if !strings.Contains(o.stderr, "task progress: 1/3 step 1 of 3") {
		t.Errorf("no progress line while running:\n%s", o.stderr)
	}
	id := runID(t, o.stderr)
	show := truss(t, "show", id, "--store", store)
	if !strings.Contains(show.stdout, "progress: 3/3 step 3 of 3") {
		t.Errorf("truss show lacks the last progress:\n%s", show.stdout)
	}

	again := truss(t, "run", spec, "--store", store)
	if again.code != 0 || !strings.Contains(again.stderr, "task cached") {
		t.Errorf("unchanged rerun: exit %d, want the step cached:\n%s", again.code, again.stderr)
	}

	// Same spec, same tag, another image: the step runs again.
	dockertest.Run(t, "tag", dockertest.Busybox(t), tag)
	t.Cleanup(func() { dockertest.Run(t, "tag", gw, tag) })
	spec2 := writeFile(t, "progress.yaml", `
mode: docker
docker_image: `+tag+`
pull_image: false
entrypoint: [sh, -c, "echo other image"]
outputs: [{name: _stdout, type: string, format: text}]
`)
	first := truss(t, "run", spec2, "--store", store)
	dockertest.Run(t, "tag", gw, tag)
	third := truss(t, "run", spec2, "--store", store)
	if first.code != 0 || third.code != 0 {
		t.Fatalf("exit %d/%d\n%s\n%s", first.code, third.code, first.stderr, third.stderr)
	}
	if strings.Contains(third.stderr, "task cached") {
		t.Errorf("a different image behind the same tag reused the cache:\n%s", third.stderr)
	}
}

// TestDockerTimeout: a container step past its timeout is stopped
// (SIGTERM first) and fails with a message saying so; it is not left.
func TestDockerTimeout(t *testing.T) {
	img := dockertest.Image(t)
	spec := writeFile(t, "slow.yaml", `
mode: docker
docker_image: `+img+`
pull_image: false
timeout: 1s
container_args: [sigterm]
`)
	o := truss(t, "run", spec, "--json")
	var doc runJSON
	if err := json.Unmarshal([]byte(o.stdout), &doc); err != nil {
		t.Fatalf("exit %d, stdout not JSON: %v\n%s", o.code, err, o.stderr)
	}
	if o.code != 1 || doc.Error == nil || !strings.Contains(doc.Error.Message, "timed out after 1s") {
		t.Fatalf("exit %d, error %+v, want a timeout\n%s", o.code, doc.Error, o.stderr)
	}
	noLeftovers(t, doc.RunID)
}
