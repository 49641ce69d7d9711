package dockertest_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/truss-dev/truss/modes/docker/dockertest"
)

func TestImageRuns(t *testing.T) {
	img := dockertest.Image(t)
	if !strings.HasPrefix(img, "truss-test/gw:") {
		t.Fatalf("image %q", img)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"gwtest is the entrypoint", []string{img, "stdio"}, "output message\n"},
		{"busybox shell", []string{"--entrypoint", "sh", img, "-c", "echo hi | tr a-z A-Z"}, "HI\n"},
		{"numeric user", []string{"--user", "1234:5678", img, "id"}, "1234:5678\n"},
		{"named user from /etc/passwd", []string{"--user", "nobody", img, "id"}, "65534:65534\n"},
		{"tmp writable by anyone", []string{"--user", "1234", "--entrypoint", "sh", img, "-c", "touch /tmp/x && ls /tmp"}, "x\n"},
		{"exit code", []string{"--entrypoint", "sh", img, "-c", "/gwtest raise-exception 2>/dev/null; echo $?"}, "1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := dockertest.Run(t, append([]string{"run", "--rm"}, tc.args...)...); got != tc.want {
				t.Fatalf("stdout %q, want %q", got, tc.want)
			}
		})
	}
}

func TestImageReused(t *testing.T) {
	img := dockertest.Image(t)
	if again := dockertest.Image(t); again != img {
		t.Fatalf("second call gave %q, first %q", again, img)
	}
	got := dockertest.Run(t, "image", "inspect", "--format",
		`{{index .Config.Labels "truss.test"}} {{json .Config.Entrypoint}} {{json .Config.Env}}`, img)
	if want := `1 ["/gwtest"] ["PATH=/bin"]` + "\n"; got != want {
		t.Fatalf("image config %q, want %q", got, want)
	}
}

func TestBusybox(t *testing.T) {
	img := dockertest.Busybox(t)
	if !strings.HasPrefix(img, "truss-test/busybox:") {
		t.Fatalf("image %q", img)
	}
	// dev, proc and sys are docker's mounts.
	got := dockertest.Run(t, "run", "--rm", img, "sh", "-c", "ls /; echo in out | wc -w")
	if want := "bin\ndev\netc\nmnt\nproc\nsys\ntmp\n2\n"; got != want {
		t.Fatalf("stdout %q, want %q", got, want)
	}
}

func TestLeftovers(t *testing.T) {
	img := dockertest.Image(t)
	label := fmt.Sprintf("truss.dockertest.leftovers=%d-%d", os.Getpid(), time.Now().UnixNano())
	id := strings.TrimSpace(dockertest.Run(t, "create", "--label", label, img, "sleep", "-d", "1s"))
	removed := false
	t.Cleanup(func() {
		if !removed {
			dockertest.Run(t, "rm", "-f", id)
		}
	})
	if got := dockertest.Leftovers(t, label); len(got) != 1 || got[0] != id {
		t.Fatalf("leftovers %q, want [%s]", got, id)
	}
	dockertest.Run(t, "rm", id)
	removed = true
	if got := dockertest.Leftovers(t, label); len(got) != 0 {
		t.Fatalf("leftovers after rm: %q", got)
	}
}
