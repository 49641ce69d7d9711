package docker

import (
	"context"
	"errors"
	"io"
	"time"
)

// Engine is the part of the Docker Engine API that truss uses. client.go
// implements it over github.com/moby/moby/client; nothing else in truss
// imports that module, so a change of client library stays in one file.
type Engine interface {
	// Ping checks that an engine answers.
	Ping(ctx context.Context) error
	// InspectImage describes a local image; ErrNotFound when absent.
	InspectImage(ctx context.Context, ref string) (Image, error)
	// PullImage pulls ref, reporting each progress message.
	PullImage(ctx context.Context, ref string, progress func(string)) error
	// CreateContainer creates (does not start) a container.
	CreateContainer(ctx context.Context, spec ContainerSpec) (id string, err error)
	// Attach connects to the container's stdout and stderr (demultiplexed)
	// before it starts; the returned wait ends when both streams closed.
	Attach(ctx context.Context, id string, stdout, stderr io.Writer) (wait func() error, err error)
	StartContainer(ctx context.Context, id string) error
	// WaitContainer waits until the container is not running and returns
	// its exit code.
	WaitContainer(ctx context.Context, id string) (int, error)
	// StopContainer sends the stop signal (SIGTERM), then SIGKILL after
	// grace.
	StopContainer(ctx context.Context, id string, grace time.Duration) error
	RemoveContainer(ctx context.Context, id string, force bool) error
	// ListContainers lists containers (running or not) carrying every
	// label of labels ("key" or "key=value"); nil lists all.
	ListContainers(ctx context.Context, labels []string) ([]Container, error)
	ListImages(ctx context.Context) ([]Image, error)
	RemoveImage(ctx context.Context, id string) error
	Close() error
}

// ErrNotFound is returned (wrapped) for an image or container the engine
// does not have.
var ErrNotFound = errors.New("not found")

// Image is a local image.
type Image struct {
	ID          string // sha256:… of its config: what the cache key uses
	RepoTags    []string
	RepoDigests []string
	Created     time.Time
	Labels      map[string]string
}

// Container is a container as listed and inspected.
type Container struct {
	ID       string
	Name     string
	Image    string
	ImageID  string
	State    string // created, running, exited, dead, …
	Labels   map[string]string
	Created  time.Time
	Finished time.Time // zero when it never ran or still runs
}

// Mount is a bind mount.
type Mount struct {
	Host, Container string
	ReadOnly        bool
}

// DeviceRequest asks for devices (GPUs) of a driver.
type DeviceRequest struct {
	Driver       string
	Count        int
	DeviceIDs    []string
	Capabilities [][]string
	Options      map[string]string
}

// ContainerSpec is what CreateContainer needs.
type ContainerSpec struct {
	Image      string
	Entrypoint []string // nil: the image's
	Cmd        []string
	Env        []string
	User       string
	WorkingDir string
	Labels     map[string]string
	Mounts     []Mount

	NetworkMode     string
	NetworkDisabled bool
	Memory          int64
	MemorySwap      int64
	NanoCPUs        int64
	CPUShares       int64
	CPUPeriod       int64
	CPUQuota        int64
	CpusetCpus      string
	ShmSize         int64
	Runtime         string
	DeviceRequests  []DeviceRequest
}
