package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// apiEngine implements Engine over the Engine API client. The API version
// is negotiated on the first request; DOCKER_HOST, DOCKER_API_VERSION and
// the TLS variables are honoured.
type apiEngine struct {
	c    *client.Client
	host string
}

// Connect returns an Engine for the daemon the environment names
// (DOCKER_HOST, else the local socket). It does not contact the daemon:
// Ping does.
func Connect() (Engine, error) {
	c, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	return &apiEngine{c: c, host: c.DaemonHost()}, nil
}

func (e *apiEngine) Close() error { return e.c.Close() }

// wrap turns client errors into ours: ErrNotFound, and a daemon that does
// not answer into a message that says what to do.
func (e *apiEngine) wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case cerrdefs.IsNotFound(err):
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	case client.IsErrConnectionFailed(err):
		return &UnavailableError{Host: e.host, Err: err}
	}
	return err
}

func (e *apiEngine) Ping(ctx context.Context) error {
	_, err := e.c.Ping(ctx, client.PingOptions{})
	if err != nil {
		// Ping's own errors do not always say "connection failed".
		var ua *UnavailableError
		if err = e.wrap(err); !errors.As(err, &ua) {
			err = &UnavailableError{Host: e.host, Err: err}
		}
	}
	return err
}

func (e *apiEngine) InspectImage(ctx context.Context, ref string) (Image, error) {
	r, err := e.c.ImageInspect(ctx, ref)
	if err != nil {
		return Image{}, e.wrap(err)
	}
	img := Image{ID: r.ID, RepoTags: r.RepoTags, RepoDigests: r.RepoDigests}
	if t, err := time.Parse(time.RFC3339Nano, r.Created); err == nil {
		img.Created = t
	}
	if r.Config != nil {
		img.Labels = r.Config.Labels
	}
	return img, nil
}

func (e *apiEngine) PullImage(ctx context.Context, ref string, progress func(string)) error {
	resp, err := e.c.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		return e.wrap(err)
	}
	defer resp.Close()
	for m, err := range resp.JSONMessages(ctx) {
		if err != nil {
			return e.wrap(err)
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
		if progress != nil && m.Status != "" {
			line := m.Status
			if m.ID != "" {
				line = m.ID + ": " + line
			}
			if m.Progress != nil && m.Progress.Total > 0 {
				line += fmt.Sprintf(" %d/%d", m.Progress.Current, m.Progress.Total)
			}
			progress(line)
		}
	}
	return nil
}

func (e *apiEngine) CreateContainer(ctx context.Context, s ContainerSpec) (string, error) {
	cfg := &container.Config{
		Image:           s.Image,
		Entrypoint:      s.Entrypoint,
		Cmd:             s.Cmd,
		Env:             s.Env,
		User:            s.User,
		WorkingDir:      s.WorkingDir,
		Labels:          s.Labels,
		NetworkDisabled: s.NetworkDisabled,
		AttachStdout:    true,
		AttachStderr:    true,
	}
	hc := &container.HostConfig{
		NetworkMode: container.NetworkMode(s.NetworkMode),
		ShmSize:     s.ShmSize,
		Runtime:     s.Runtime,
		Resources: container.Resources{
			Memory: s.Memory, MemorySwap: s.MemorySwap, NanoCPUs: s.NanoCPUs, CPUShares: s.CPUShares,
			CPUPeriod: s.CPUPeriod, CPUQuota: s.CPUQuota, CpusetCpus: s.CpusetCpus,
		},
	}
	for _, m := range s.Mounts {
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: m.Host, Target: m.Container, ReadOnly: m.ReadOnly})
	}
	for _, d := range s.DeviceRequests {
		hc.DeviceRequests = append(hc.DeviceRequests, container.DeviceRequest{
			Driver: d.Driver, Count: d.Count, DeviceIDs: d.DeviceIDs, Capabilities: d.Capabilities, Options: d.Options})
	}
	r, err := e.c.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: hc})
	if err != nil {
		return "", e.wrap(err)
	}
	return r.ID, nil
}

func (e *apiEngine) Attach(ctx context.Context, id string, stdout, stderr io.Writer) (func() error, error) {
	// Attached before start: there is no history to replay, and asking for
	// it (logs=1) races with the start and can deliver output twice.
	r, err := e.c.ContainerAttach(ctx, id, client.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true})
	if err != nil {
		return nil, e.wrap(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(stdout, stderr, r.Reader)
		r.Close()
		done <- err
	}()
	return func() error { return <-done }, nil
}

func (e *apiEngine) StartContainer(ctx context.Context, id string) error {
	_, err := e.c.ContainerStart(ctx, id, client.ContainerStartOptions{})
	return e.wrap(err)
}

func (e *apiEngine) WaitContainer(ctx context.Context, id string) (int, error) {
	w := e.c.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case r := <-w.Result:
		if r.Error != nil && r.Error.Message != "" {
			return int(r.StatusCode), errors.New(r.Error.Message)
		}
		return int(r.StatusCode), nil
	case err := <-w.Error:
		return -1, e.wrap(err)
	}
}

func (e *apiEngine) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	secs := int((grace + time.Second - 1) / time.Second)
	_, err := e.c.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &secs})
	return e.wrap(err)
}

func (e *apiEngine) RemoveContainer(ctx context.Context, id string, force bool) error {
	_, err := e.c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: force, RemoveVolumes: true})
	return e.wrap(err)
}

func (e *apiEngine) ListContainers(ctx context.Context, labels []string) ([]Container, error) {
	f := client.Filters{}
	if len(labels) > 0 {
		f.Add("label", labels...)
	}
	r, err := e.c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, e.wrap(err)
	}
	out := make([]Container, 0, len(r.Items))
	for _, s := range r.Items {
		c := Container{ID: s.ID, Image: s.Image, ImageID: s.ImageID, State: string(s.State), Labels: s.Labels, Created: time.Unix(s.Created, 0)}
		if len(s.Names) > 0 {
			c.Name = strings.TrimPrefix(s.Names[0], "/")
		}
		if c.State != string(container.StateRunning) && c.State != string(container.StateCreated) {
			ins, err := e.c.ContainerInspect(ctx, s.ID, client.ContainerInspectOptions{})
			if err != nil {
				if cerrdefs.IsNotFound(err) {
					continue // removed meanwhile
				}
				return nil, e.wrap(err)
			}
			if st := ins.Container.State; st != nil {
				if t, err := time.Parse(time.RFC3339Nano, st.FinishedAt); err == nil && t.Year() > 1 {
					c.Finished = t
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func (e *apiEngine) ListImages(ctx context.Context) ([]Image, error) {
	r, err := e.c.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil, e.wrap(err)
	}
	out := make([]Image, 0, len(r.Items))
	for _, s := range r.Items {
		out = append(out, Image{ID: s.ID, RepoTags: s.RepoTags, RepoDigests: s.RepoDigests, Created: time.Unix(s.Created, 0), Labels: s.Labels})
	}
	return out, nil
}

func (e *apiEngine) RemoveImage(ctx context.Context, id string) error {
	_, err := e.c.ImageRemove(ctx, id, client.ImageRemoveOptions{})
	return e.wrap(err)
}

// UnavailableError says that no Docker engine answers.
type UnavailableError struct {
	Host string
	Err  error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("no Docker engine answers at %s (%v): start the Docker daemon, or point DOCKER_HOST at one", e.Host, e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }
