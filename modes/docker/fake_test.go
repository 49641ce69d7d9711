package docker_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/truss-dev/truss/modes/docker"
)

// fakeEngine is an in-memory Engine for the logic that needs no real
// containers: what the garbage collector picks.
type fakeEngine struct {
	containers map[string]docker.Container
	images     map[string]docker.Image
	stopped    []string
	removed    []string
	imagesGone []string
}

var _ docker.Engine = (*fakeEngine)(nil)

func (f *fakeEngine) Ping(context.Context) error { return nil }
func (f *fakeEngine) InspectImage(_ context.Context, ref string) (docker.Image, error) {
	if img, ok := f.images[ref]; ok {
		return img, nil
	}
	return docker.Image{}, fmt.Errorf("%w: %s", docker.ErrNotFound, ref)
}
func (f *fakeEngine) PullImage(context.Context, string, func(string)) error {
	return errors.New("no registry")
}
func (f *fakeEngine) CreateContainer(context.Context, docker.ContainerSpec) (string, error) {
	return "", errors.New("not in the fake")
}
func (f *fakeEngine) Attach(context.Context, string, io.Writer, io.Writer) (func() error, error) {
	return nil, errors.New("not in the fake")
}
func (f *fakeEngine) StartContainer(context.Context, string) error {
	return errors.New("not in the fake")
}
func (f *fakeEngine) WaitContainer(context.Context, string) (int, error) {
	return 0, errors.New("not in the fake")
}
func (f *fakeEngine) StopContainer(_ context.Context, id string, _ time.Duration) error {
	f.stopped = append(f.stopped, id)
	c := f.containers[id]
	c.State = "exited"
	f.containers[id] = c
	return nil
}
func (f *fakeEngine) RemoveContainer(_ context.Context, id string, _ bool) error {
	if _, ok := f.containers[id]; !ok {
		return fmt.Errorf("%w: %s", docker.ErrNotFound, id)
	}
	delete(f.containers, id)
	f.removed = append(f.removed, id)
	return nil
}
func (f *fakeEngine) ListContainers(_ context.Context, labels []string) ([]docker.Container, error) {
	var out []docker.Container
	for _, c := range f.containers {
		ok := true
		for _, l := range labels {
			k, v, hasV := cut(l)
			got, has := c.Labels[k]
			if !has || (hasV && got != v) {
				ok = false
			}
		}
		if ok {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
func (f *fakeEngine) ListImages(context.Context) ([]docker.Image, error) {
	var out []docker.Image
	for _, img := range f.images {
		out = append(out, img)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
func (f *fakeEngine) RemoveImage(_ context.Context, id string) error {
	for ref, img := range f.images {
		if img.ID == id {
			delete(f.images, ref)
		}
	}
	f.imagesGone = append(f.imagesGone, id)
	return nil
}
func (f *fakeEngine) Close() error { return nil }

func cut(label string) (k, v string, hasV bool) {
	for i := range label {
		if label[i] == '=' {
			return label[:i], label[i+1:], true
		}
	}
	return label, "", false
}

// TestGCChoices: which containers and images the collector removes, by
// state, age, owner (labels, live truss pid) and exclusions.
func TestGCChoices(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	old, recent := now.Add(-2*time.Hour), now.Add(-time.Minute)
	host := hostname(t)
	truss := func(extra ...string) map[string]string {
		m := map[string]string{docker.LabelManaged: "1", docker.LabelHost: host}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	newFake := func() *fakeEngine {
		return &fakeEngine{
			containers: map[string]docker.Container{
				"c-old":    {ID: "c-old", Name: "old", ImageID: "sha256:tool", State: "exited", Finished: old, Labels: truss()},
				"c-recent": {ID: "c-recent", Name: "recent", ImageID: "sha256:tool", State: "exited", Finished: recent, Labels: truss()},
				"c-never":  {ID: "c-never", Name: "never", ImageID: "sha256:tool", State: "created", Created: old, Labels: truss()},
				"c-orphan": {ID: "c-orphan", Name: "orphan", ImageID: "sha256:other", State: "running", Labels: truss(docker.LabelPID, "42")},
				"c-live":   {ID: "c-live", Name: "live", ImageID: "sha256:live", State: "running", Labels: truss(docker.LabelPID, "7")},
				"c-elsewhere": {ID: "c-elsewhere", Name: "elsewhere", ImageID: "sha256:live", State: "running",
					Labels: map[string]string{docker.LabelManaged: "1", docker.LabelHost: "another-host", docker.LabelPID: "42"}},
				"c-foreign": {ID: "c-foreign", Name: "foreign", ImageID: "sha256:foreign", State: "exited", Finished: old, Labels: map[string]string{}},
			},
			images: map[string]docker.Image{
				"tool":    {ID: "sha256:tool", RepoTags: []string{"registry.example/tool:1"}, Created: old},
				"other":   {ID: "sha256:other", RepoTags: []string{"keep/me:2"}, Created: old},
				"live":    {ID: "sha256:live", RepoTags: []string{"live:1"}, Created: old},
				"foreign": {ID: "sha256:foreign", RepoTags: []string{"foreign:1"}, Created: old},
				"fresh":   {ID: "sha256:fresh", RepoTags: []string{"fresh:1"}, Created: recent},
			},
		}
	}
	opts := func(o docker.GCOptions) docker.GCOptions {
		o.Grace = time.Hour
		o.Now = func() time.Time { return now }
		o.Alive = func(pid int) bool { return pid == 7 }
		return o
	}
	ctx := context.Background()

	f := newFake()
	rep, err := docker.GC(ctx, f, opts(docker.GCOptions{Images: true, ExcludeImages: []string{"keep/*"}}))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(f.removed)
	if want := []string{"c-never", "c-old", "c-orphan"}; !slices.Equal(f.removed, want) {
		t.Errorf("removed %v, want %v (exited or never started over an hour ago, and the orphan)", f.removed, want)
	}
	if !slices.Equal(f.stopped, []string{"c-orphan"}) || len(rep.Orphans) != 1 {
		t.Errorf("stopped %v, orphans %v: want the running container of the dead truss (pid 42 on this host) only", f.stopped, rep.Orphans)
	}
	// sha256:tool is still used by c-recent; keep/me is excluded; live is
	// in use; foreign and fresh were never truss's.
	if len(f.imagesGone) != 0 {
		t.Errorf("images removed %v, want none", f.imagesGone)
	}
	if rep.Kept != 3 { // recent, live, elsewhere
		t.Errorf("kept %d, want 3", rep.Kept)
	}

	// Without the exclusion the orphan's image goes: no container uses it
	// any more, and a truss container did.
	f = newFake()
	if _, err := docker.GC(ctx, f, opts(docker.GCOptions{Images: true})); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.imagesGone, []string{"sha256:other"}) {
		t.Errorf("images removed %v, want [sha256:other]", f.imagesGone)
	}

	// All: foreign containers and images too; a dry run removes nothing.
	f = newFake()
	rep, err = docker.GC(ctx, f, opts(docker.GCOptions{Images: true, All: true, DryRun: true}))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.removed)+len(f.stopped)+len(f.imagesGone) != 0 {
		t.Errorf("dry run changed things: %v %v %v", f.removed, f.stopped, f.imagesGone)
	}
	if len(rep.Containers) != 3 || !slices.Contains(rep.Images, "foreign:1") || slices.Contains(rep.Images, "fresh:1") {
		t.Errorf("dry run with All: %+v", rep)
	}
}
