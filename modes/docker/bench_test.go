package docker_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/modes/docker"
	"github.com/truss-dev/truss/modes/docker/dockertest"
)

// BenchmarkPipe1GB streams 1 GiB into a container through a named input
// pipe and, in the same benchmark, has the same image read the same file
// from a bind mount; both runs include container start. It reports MB/s
// for each and their ratio, for two consumers: busybox `cat > /dev/null`
// (which, from a regular file, uses sendfile to /dev/null and so never
// touches the bytes) and `dd bs=64k of=/dev/null` (which reads every byte
// the same way from either source).
func BenchmarkPipe1GB(b *testing.B) {
	const size = 1 << 30
	img := dockertest.Busybox(b)
	// In the package directory, not /tmp: see the note in cli's benchmarks.
	dir, err := os.MkdirTemp(".", ".bench-pipe-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	dir, _ = filepath.Abs(dir)
	src := filepath.Join(dir, "big.bin")
	f, err := os.Create(src)
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i * 31)
	}
	for i := 0; i < size/len(chunk); i++ {
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	f.Close()
	m := docker.New(docker.Options{})
	defer m.Close()
	in := map[string]formats.Value{"big": {Type: "string", Format: "text", Path: src}}
	port := modes.Port{Name: "big", Type: "string", Format: "text", Target: "filepath", Rep: formats.RepText}
	run := func(opts map[string]any) time.Duration {
		opts["docker_image"], opts["pull_image"] = img, false
		work, err := os.MkdirTemp(dir, "work-")
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		_, err = m.Run(context.Background(), modes.Request{WorkDir: work, RunID: "bench", NodeID: "pipe",
			Task: &modes.Task{Name: "pipe", Mode: "docker", Inputs: []modes.Port{port}, Options: opts}, Inputs: in})
		if err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	for _, consumer := range []struct{ name, cmd string }{
		{"cat", "cat %s > /dev/null"},
		{"dd", "dd if=%s of=/dev/null bs=64k 2>/dev/null"},
	} {
		b.Run(consumer.name, func(b *testing.B) {
			var piped, mounted time.Duration
			for i := 0; i < b.N; i++ {
				piped += run(map[string]any{
					"pipes":          []any{map[string]any{"name": "p", "direction": "in", "from": "big"}},
					"entrypoint":     []any{"sh", "-c"},
					"container_args": []any{fmt.Sprintf(consumer.cmd, "$pipe{p}")},
				})
				mounted += run(map[string]any{
					"entrypoint":     []any{"sh", "-c"},
					"container_args": []any{fmt.Sprintf(consumer.cmd, "$input{big}")},
				})
			}
			mbps := func(d time.Duration) float64 { return float64(b.N) * size / 1e6 / d.Seconds() }
			b.ReportMetric(mbps(piped), "MB/s-pipe")
			b.ReportMetric(mbps(mounted), "MB/s-mounted")
			b.ReportMetric(mbps(piped)/mbps(mounted), "ratio")
		})
	}
}
