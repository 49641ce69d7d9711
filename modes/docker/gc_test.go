package docker_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/truss-dev/truss/modes/docker"
	"github.com/truss-dev/truss/modes/docker/dockertest"
)

func TestGC(t *testing.T) {
	img := dockertest.Image(t)
	eng, err := docker.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	host, _ := os.Hostname()
	run := fmt.Sprintf("gc-%d", os.Getpid())
	const deadPID, livePID = 999999, 1
	label := func(extra ...string) []string {
		a := []string{"--label", docker.LabelRun + "=" + run}
		for _, l := range extra {
			a = append(a, "--label", l)
		}
		return a
	}
	names := map[string]string{}
	mk := func(key string, detach bool, labels []string, cmd ...string) {
		name := fmt.Sprintf("truss-gc-test-%s-%d", key, os.Getpid())
		names[key] = name
		a := []string{"run", "--name", name}
		if detach {
			a = append(a, "-d")
		}
		a = append(a, labels...)
		a = append(a, img)
		dockertest.Run(t, append(a, cmd...)...)
	}
	t.Cleanup(func() {
		for _, id := range dockertest.Leftovers(t, docker.LabelRun+"="+run) {
			dockertest.Run(t, "rm", "-f", id)
		}
	})
	managed := docker.LabelManaged + "=1"
	mk("exited", false, label(managed), "stdio")
	mk("foreign", false, label(), "stdio")
	mk("orphan", true, label(managed, docker.LabelPID+"="+fmt.Sprint(deadPID), docker.LabelHost+"="+host), "sleep", "-d", "10m")
	mk("live", true, label(managed, docker.LabelPID+"="+fmt.Sprint(livePID), docker.LabelHost+"="+host), "sleep", "-d", "10m")

	alive := func(pid int) bool { return pid == livePID }
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	ctx := context.Background()
	has := func(list []string, key string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return strings.HasPrefix(s, names[key]+" ") })
	}

	// Within the grace period only the orphan goes.
	rep, err := docker.GC(ctx, eng, docker.GCOptions{Labels: []string{docker.LabelRun + "=" + run}, Alive: alive, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Containers) != 0 || !has(rep.Orphans, "orphan") || len(rep.Orphans) != 1 {
		t.Errorf("dry run within the grace period: %+v", rep)
	}
	// All includes containers truss did not label.
	rep, err = docker.GC(ctx, eng, docker.GCOptions{Labels: []string{docker.LabelRun + "=" + run}, Alive: alive, DryRun: true, All: true, Now: later})
	if err != nil {
		t.Fatal(err)
	}
	if !has(rep.Containers, "foreign") || !has(rep.Containers, "exited") {
		t.Errorf("dry run with All: %+v", rep)
	}
	// Images: the test image is used by the live container, so it stays;
	// excluded names stay in any case.
	rep, err = docker.GC(ctx, eng, docker.GCOptions{Labels: []string{docker.LabelRun + "=" + run}, Alive: alive, Now: later, Images: true, ExcludeImages: []string{"truss-test/*"}})
	if err != nil {
		t.Fatal(err)
	}
	if !has(rep.Containers, "exited") || has(rep.Containers, "foreign") || !has(rep.Orphans, "orphan") || len(rep.Images) != 0 || len(rep.Errors) != 0 {
		t.Errorf("gc: %+v", rep)
	}
	left := strings.Fields(dockertest.Run(t, "ps", "-a", "--format", "{{.Names}}", "--filter", "label="+docker.LabelRun+"="+run))
	slices.Sort(left)
	want := []string{names["foreign"], names["live"]}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("containers left = %v, want %v", left, want)
	}
}
