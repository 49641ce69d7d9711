package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"syscall"
	"time"
)

// DefaultCacheTimeout is Girder Worker's docker.cache_timeout: how long an
// exited container or an unused image is kept.
const DefaultCacheTimeout = time.Hour

// GCOptions are the garbage collector's settings (Girder Worker's
// docker.cache_timeout and docker.exclude_images, and truss's limits).
type GCOptions struct {
	// Grace is how long after it finished a container is kept, and how old
	// an unused image must be before it goes (0 = DefaultCacheTimeout).
	Grace time.Duration
	// ExcludeImages are image names never removed: "name", "name:tag" or a
	// path.Match pattern ("registry.example/*").
	ExcludeImages []string
	// All extends collection to containers truss did not label, and images
	// no truss container used.
	All bool
	// Images also removes unused images (otherwise containers only).
	Images bool
	// DryRun reports what would go without removing anything.
	DryRun bool
	// Labels narrow collection to containers with these labels
	// ("key=value"), e.g. one run's.
	Labels []string
	// StopGrace is the SIGTERM→SIGKILL time for orphans (0 = DefaultGrace).
	StopGrace time.Duration
	// Now and Alive replace the clock and the process check in tests.
	Now   func() time.Time
	Alive func(pid int) bool
}

// GCReport says what was (or, in a dry run, would be) removed.
type GCReport struct {
	Containers []string // removed exited containers ("name (image)")
	Orphans    []string // running containers of truss processes that are gone
	Images     []string
	Kept       int      // containers left: running, or younger than the grace
	Errors     []string // what could not be removed, and why
}

// GC removes containers that finished longer than the grace period ago,
// stops and removes running containers whose truss process is gone (a
// crashed engine's leftovers), and with Images, images created longer ago
// than the grace period that no remaining container uses. Unless All, only
// what truss labelled is touched.
func GC(ctx context.Context, eng Engine, o GCOptions) (GCReport, error) {
	if o.Grace <= 0 {
		o.Grace = DefaultCacheTimeout
	}
	if o.StopGrace <= 0 {
		o.StopGrace = DefaultGrace
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	alive := processAlive
	if o.Alive != nil {
		alive = o.Alive
	}
	host, _ := os.Hostname()
	filter := append([]string(nil), o.Labels...)
	if !o.All {
		filter = append(filter, LabelManaged+"=1")
	}
	cs, err := eng.ListContainers(ctx, filter)
	if err != nil {
		return GCReport{}, fmt.Errorf("docker gc: %w", err)
	}
	var rep GCReport
	used := map[string]bool{} // image IDs of truss containers: image candidates
	gone := map[string]bool{} // containers removed (or, in a dry run, that would be)
	for _, c := range cs {
		used[c.ImageID] = true
		desc := describeContainer(c)
		orphan := false
		switch c.State {
		case "running", "restarting", "paused":
			pid, err := strconv.Atoi(c.Labels[LabelPID])
			orphan = err == nil && c.Labels[LabelHost] == host && !alive(pid)
			if !orphan {
				rep.Kept++
				continue
			}
		case "removing":
			continue
		default:
			end := c.Finished
			if end.IsZero() {
				end = c.Created
			}
			if now().Sub(end) < o.Grace {
				rep.Kept++
				continue
			}
		}
		if o.DryRun {
			addRemoved(&rep, orphan, desc)
			gone[c.ID] = true
			continue
		}
		if orphan {
			if err := eng.StopContainer(ctx, c.ID, o.StopGrace); err != nil && !errors.Is(err, ErrNotFound) {
				rep.Errors = append(rep.Errors, fmt.Sprintf("stop %s: %v", desc, err))
				continue
			}
		}
		if err := eng.RemoveContainer(ctx, c.ID, true); err != nil && !errors.Is(err, ErrNotFound) {
			rep.Errors = append(rep.Errors, fmt.Sprintf("remove %s: %v", desc, err))
			continue
		}
		addRemoved(&rep, orphan, desc)
		gone[c.ID] = true
	}
	if !o.Images {
		return rep, nil
	}
	// Images still used by any container (truss's or not) stay.
	all, err := eng.ListContainers(ctx, nil)
	if err != nil {
		return rep, fmt.Errorf("docker gc: %w", err)
	}
	inUse := map[string]bool{}
	for _, c := range all {
		if gone[c.ID] {
			continue
		}
		inUse[c.ImageID] = true
	}
	imgs, err := eng.ListImages(ctx)
	if err != nil {
		return rep, fmt.Errorf("docker gc: %w", err)
	}
	for _, img := range imgs {
		if inUse[img.ID] || (!o.All && !used[img.ID]) || now().Sub(img.Created) < o.Grace || excluded(img, o.ExcludeImages) {
			continue
		}
		name := img.ID
		if len(img.RepoTags) > 0 {
			name = img.RepoTags[0]
		}
		if !o.DryRun {
			if err := eng.RemoveImage(ctx, img.ID); err != nil && !errors.Is(err, ErrNotFound) {
				rep.Errors = append(rep.Errors, fmt.Sprintf("remove image %s: %v", name, err))
				continue
			}
		}
		rep.Images = append(rep.Images, name)
	}
	return rep, nil
}

func addRemoved(rep *GCReport, orphan bool, desc string) {
	if orphan {
		rep.Orphans = append(rep.Orphans, desc)
	} else {
		rep.Containers = append(rep.Containers, desc)
	}
}

// describeContainer names a container and its image as the task wrote it
// (truss creates containers from the image ID).
func describeContainer(c Container) string {
	img := c.Image
	if ref := c.Labels[LabelImage]; ref != "" {
		img = ref
	}
	return c.Name + " (" + img + ")"
}

func excluded(img Image, patterns []string) bool {
	for _, tag := range img.RepoTags {
		name := tag
		if i := lastColon(tag); i >= 0 {
			name = tag[:i]
		}
		for _, p := range patterns {
			if p == tag || p == name {
				return true
			}
			if ok, _ := path.Match(p, tag); ok {
				return true
			}
			if ok, _ := path.Match(p, name); ok {
				return true
			}
		}
	}
	return false
}

// lastColon finds the tag separator (not a registry port's colon).
func lastColon(ref string) int {
	for i := len(ref) - 1; i >= 0; i-- {
		switch ref[i] {
		case ':':
			return i
		case '/':
			return -1
		}
	}
	return -1
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
