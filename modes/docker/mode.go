// Package docker is the docker mode: a step runs a container. The node's
// work dir is bind-mounted at /mnt/girder_worker/data (the data volume);
// container_args are expanded at bind time ($input{}, $flag{}, $output{},
// $tempdir, $volume{}, $pipe{}, $progress; modes/cmdline); outputs are
// _stdout, _stderr and files in the data volume. Named pipes stream
// inputs in and outputs out; the progress pipe reports progress.
//
// Containers run as the caller's uid:gid unless the task says otherwise,
// carry truss labels (run, node, step, pid) so a crashed engine's
// leftovers can be found, and are never auto-removed: truss removes them
// once their output is drained and the exit code read. On cancellation a
// container gets SIGTERM, then SIGKILL after a grace period, then is
// removed.
package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/modes/cmdline"
)

// Labels truss puts on every container it creates.
const (
	LabelManaged = "truss.managed" // "1"
	LabelRun     = "truss.run"
	LabelNode    = "truss.node"
	LabelStep    = "truss.step"
	LabelPID     = "truss.pid"   // the truss process that runs it
	LabelHost    = "truss.host"  // and its host name
	LabelImage   = "truss.image" // the image as the task names it
)

// DefaultGrace is the time between SIGTERM and SIGKILL on cancellation.
const DefaultGrace = 5 * time.Second

// inputMountRoot is where filepath inputs that live outside the data
// volume are mounted (read-only), one directory per port.
const inputMountRoot = "/mnt/girder_worker/inputs/"

// Options configure the mode.
type Options struct {
	// Engine is the Docker engine; nil connects to the one the
	// environment names (DOCKER_HOST) on first use.
	Engine Engine
	// Grace is the time between SIGTERM and SIGKILL (0 = DefaultGrace).
	Grace time.Duration
	// AllowedHostPaths limits host_path of bind volumes (nil: no limit).
	AllowedHostPaths []string
	// KeepContainers leaves exited containers for `truss gc --docker`
	// (Girder Worker's docker.gc) instead of removing them at once.
	KeepContainers bool
	// StdCap bounds in-memory _stdout/_stderr outputs (0 = default).
	StdCap int
}

// Mode runs docker steps. It is safe for concurrent use.
type Mode struct {
	opts Options

	mu     sync.Mutex
	eng    Engine
	engErr error
	images map[string]*imageEntry // by reference: resolved (pulled) once per process
}

type imageEntry struct {
	once sync.Once
	img  Image
	err  error
}

var (
	_ modes.Mode       = (*Mode)(nil)
	_ modes.Identifier = (*Mode)(nil)
)

// New returns a docker mode; it contacts the engine on the first step.
func New(opts Options) *Mode {
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	return &Mode{opts: opts, eng: opts.Engine, images: map[string]*imageEntry{}}
}

// Close releases the engine connection.
func (m *Mode) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.eng != nil && m.opts.Engine == nil {
		err := m.eng.Close()
		m.eng = nil
		return err
	}
	return nil
}

// engine connects on first use and checks that the daemon answers.
func (m *Mode) engine(ctx context.Context) (Engine, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.eng != nil || m.engErr != nil {
		return m.eng, m.engErr
	}
	e, err := Connect()
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = e.Ping(pctx)
		cancel()
		if err != nil {
			_ = e.Close()
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err // do not remember a cancelled attempt
		}
		m.engErr = err
		return nil, err
	}
	m.eng = e
	return e, nil
}

// Check validates a docker task without running it: tokens, outputs,
// volumes, pipes and docker_run_args. roots limits bind volumes' host
// paths. Errors carry no step name; a *cmdline.Warning does not stop a run.
func Check(s *cmdline.Spec, roots []string) []error {
	errs := s.Check("volume", "pipe")
	_, more := parse(s, roots)
	return append(errs, more...)
}

// Identity resolves the task's image (pulling it when the task asks) and
// returns its ID, which enters the node's cache key.
func (m *Mode) Identity(ctx context.Context, t *modes.Task, log io.Writer) (string, error) {
	s := cmdline.FromTask(t)
	c, errs := parse(s, m.opts.AllowedHostPaths)
	if c.image == "" {
		return "", firstError(errs)
	}
	img, err := m.resolve(ctx, c, log, nil)
	if err != nil {
		return "", err
	}
	return img.ID, nil
}

func firstError(errs []error) error {
	for _, e := range errs {
		if !cmdline.IsWarning(e) {
			return e
		}
	}
	return nil
}

// pinned reports a reference by digest or by image ID: it names one image.
func pinned(ref string) bool {
	return strings.Contains(ref, "@sha256:") || strings.HasPrefix(ref, "sha256:")
}

// resolve finds the image, pulling it once per process when the task asks
// for pulls (never for a pinned image already present).
func (m *Mode) resolve(ctx context.Context, c *taskConfig, log io.Writer, progress func(modes.Progress)) (Image, error) {
	eng, err := m.engine(ctx)
	if err != nil {
		return Image{}, err
	}
	key := c.image + "\x00" + strconv.FormatBool(c.pull)
	m.mu.Lock()
	e, ok := m.images[key]
	if !ok {
		e = &imageEntry{}
		m.images[key] = e
	}
	m.mu.Unlock()
	e.once.Do(func() { e.img, e.err = m.lookup(ctx, eng, c, log, progress) })
	if e.err != nil && ctx.Err() != nil {
		// A cancelled pull must not poison later runs in this process.
		m.mu.Lock()
		delete(m.images, key)
		m.mu.Unlock()
	}
	return e.img, e.err
}

func (m *Mode) lookup(ctx context.Context, eng Engine, c *taskConfig, log io.Writer, progress func(modes.Progress)) (Image, error) {
	img, err := eng.InspectImage(ctx, c.image)
	present := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Image{}, fmt.Errorf("docker image %s: %w", c.image, err)
	}
	if present && (!c.pull || pinned(c.image)) {
		return img, nil
	}
	if !c.pull {
		return Image{}, fmt.Errorf("docker image %s is not present locally and pull_image is false: build or load it (docker build, docker load, docker import), or set pull_image: true", c.image)
	}
	if log == nil {
		log = io.Discard
	}
	fmt.Fprintf(log, "pulling image %s\n", c.image)
	perr := eng.PullImage(ctx, c.image, func(line string) {
		fmt.Fprintln(log, line)
		if progress != nil {
			progress(modes.Progress{Message: "pulling " + c.image + ": " + line})
		}
	})
	if perr != nil {
		msg := fmt.Sprintf("pulling docker image %s failed: %v", c.image, perr)
		if present {
			msg += fmt.Sprintf("; a local copy exists (%s): set pull_image: false to run it without pulling", short(img.ID))
		}
		return Image{}, errors.New(msg)
	}
	if img, err = eng.InspectImage(ctx, c.image); err != nil {
		return Image{}, fmt.Errorf("docker image %s after pulling: %w", c.image, err)
	}
	return img, nil
}

func short(id string) string {
	if len(id) > 19 {
		return id[:19]
	}
	return id
}

// Run executes one step in a container.
func (m *Mode) Run(ctx context.Context, req modes.Request) (map[string]formats.Value, error) {
	t := req.Task
	if t == nil {
		return nil, errors.New("docker: request without a task")
	}
	s := cmdline.FromTask(t)
	if err := firstError(s.Check("volume", "pipe")); err != nil {
		return nil, err
	}
	c, errs := parse(s, m.opts.AllowedHostPaths)
	if err := firstError(errs); err != nil {
		return nil, err
	}
	logw := req.Log
	if logw == nil {
		logw = io.Discard
	}
	img, err := m.resolve(ctx, c, logw, req.Progress)
	if err != nil {
		return nil, err
	}
	eng, err := m.engine(ctx)
	if err != nil {
		return nil, err
	}
	workDir, err := filepath.Abs(req.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("work dir: %w", err)
	}
	r := &run{m: m, eng: eng, req: req, spec: s, cfg: c, img: img, workDir: workDir, log: logw}
	return r.exec(ctx)
}

// run is one execution of a step.
type run struct {
	m       *Mode
	eng     Engine
	req     modes.Request
	spec    *cmdline.Spec
	cfg     *taskConfig
	img     Image
	workDir string
	log     io.Writer
}

func (r *run) stepErr(format string, a ...any) error {
	return &modes.StepError{Step: r.spec.Step, Message: fmt.Sprintf(format, a...)}
}

func (r *run) exec(ctx context.Context) (map[string]formats.Value, error) {
	in, err := r.spec.Materialize(r.req.Inputs, r.workDir)
	if err != nil {
		return nil, err
	}
	if err := r.spec.MakeOutputDirs(r.workDir); err != nil {
		return nil, err
	}
	mounts := []Mount{{Host: r.workDir, Container: cmdline.DataVolume}}
	dirs := cmdline.Dirs{DataDir: r.workDir, MountDir: cmdline.DataVolume, Tokens: map[string]string{}}
	// Filepath inputs elsewhere on the host (a local file given with -i)
	// are mounted read-only rather than copied.
	for _, p := range r.spec.Inputs {
		v, ok := in[p.Name]
		if !ok || !p.IsFilepath() || p.Stream || v.Path == "" || strings.HasPrefix(v.Path, r.workDir+"/") {
			continue
		}
		host, err := filepath.Abs(v.Path)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", p.Name, err)
		}
		cpath := inputMountRoot + p.Name + "/" + filepath.Base(host)
		mounts = append(mounts, Mount{Host: host, Container: cpath, ReadOnly: true})
		if dirs.Mounted == nil {
			dirs.Mounted = map[string]string{}
		}
		dirs.Mounted[v.Path] = cpath
	}
	for _, v := range r.cfg.volumes {
		host := v.host
		if v.temporary {
			host = filepath.Join(r.workDir, ".volumes", v.name)
			if err := os.MkdirAll(host, 0o755); err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.name, err)
			}
		}
		mounts = append(mounts, Mount{Host: host, Container: v.container, ReadOnly: v.readOnly})
		dirs.Tokens["$volume{"+v.name+"}"] = v.container
	}
	pipes, err := r.makePipes(in)
	if err != nil {
		return nil, err
	}
	defer pipes.close()
	for _, p := range r.cfg.pipes {
		dirs.Tokens["$pipe{"+p.name+"}"] = path.Join(cmdline.DataVolume, p.name)
	}
	dirs.Tokens["$progress"] = path.Join(cmdline.DataVolume, ProgressPipe)

	args, err := r.spec.Expand("container_args", r.cfg.args, in, dirs)
	if err != nil {
		return nil, err
	}
	user := ""
	switch r.cfg.user {
	case "auto":
		user = fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
	case "image":
	default:
		user = r.cfg.user
	}
	ra := r.cfg.run
	if ra.user != "" {
		user = ra.user
	}
	host, _ := os.Hostname()
	spec := ContainerSpec{
		Image: r.img.ID, Entrypoint: r.cfg.entrypoint, Cmd: args, Env: ra.env, User: user, WorkingDir: ra.workingDir,
		Labels: map[string]string{
			LabelManaged: "1", LabelRun: r.req.RunID, LabelNode: r.req.NodeID, LabelStep: r.spec.Step,
			LabelPID: strconv.Itoa(os.Getpid()), LabelHost: host, LabelImage: r.cfg.image,
		},
		Mounts:      mounts,
		NetworkMode: ra.networkMode, NetworkDisabled: ra.networkDisabled,
		Memory: ra.memory, MemorySwap: ra.memorySwap, NanoCPUs: ra.nanoCPUs, CPUShares: ra.cpuShares,
		CPUPeriod: ra.cpuPeriod, CPUQuota: ra.cpuQuota, CpusetCpus: ra.cpusetCpus, ShmSize: ra.shmSize,
		Runtime: ra.runtime, DeviceRequests: ra.devices,
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("step %s: %w", r.spec.Step, err)
	}
	sinks, err := r.spec.NewSinks(r.log, r.workDir, r.m.opts.StdCap)
	if err != nil {
		return nil, err
	}
	code, runErr := r.container(ctx, spec, sinks, pipes)
	closeErr := sinks.Close()
	pipeErr := pipes.wait()
	if runErr != nil {
		return nil, runErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("step %s: %w", r.spec.Step, err)
	}
	if code != 0 {
		msg := fmt.Sprintf("Non-zero exit code from docker container (%d).", code)
		if code == 137 {
			msg += " The container was killed (SIGKILL): out of memory (docker_run_args.mem_limit) or stopped from outside."
		}
		if tail := strings.TrimRight(sinks.StderrTail(), "\n"); tail != "" {
			msg += " stderr:\n" + tail
		}
		return nil, r.stepErr("%s", msg)
	}
	if closeErr != nil {
		return nil, closeErr
	}
	if pipeErr != nil {
		return nil, r.stepErr("%v", pipeErr)
	}
	if err := pipes.settle(); err != nil {
		return nil, r.stepErr("%v", err)
	}
	return r.spec.Collect(sinks, r.workDir)
}

// container creates, starts, waits for and removes the container. code is
// its exit code; an error means it could not run (or was cancelled).
func (r *run) container(ctx context.Context, spec ContainerSpec, sinks *cmdline.Sinks, pipes *pipeSet) (int, error) {
	// Cleanup must happen even when ctx is cancelled.
	bg := context.WithoutCancel(ctx)
	// Create and start are not cancelled half-way: a container created
	// server-side after the client gave up would be leaked, and one that
	// started must be stopped with SIGTERM and its grace period.
	id, err := r.eng.CreateContainer(bg, spec)
	if err != nil {
		return 0, r.stepErr("creating the container from %s: %v", r.cfg.image, err)
	}
	removed := false
	remove := func() {
		if removed || r.m.opts.KeepContainers {
			return
		}
		removed = true
		rctx, cancel := context.WithTimeout(bg, 30*time.Second)
		defer cancel()
		if err := r.eng.RemoveContainer(rctx, id, true); err != nil && !errors.Is(err, ErrNotFound) {
			fmt.Fprintf(r.log, "truss: could not remove container %s: %v\n", short(id), err)
		}
	}
	defer remove()
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("step %s: %w", r.spec.Step, err)
	}
	if err := pipes.openReaders(); err != nil {
		return 0, err
	}
	attachWait, err := r.eng.Attach(bg, id, sinks.Stdout, sinks.Stderr) // output after a cancel still counts
	if err != nil {
		return 0, fmt.Errorf("step %s: attaching to container %s: %w", r.spec.Step, short(id), err)
	}
	pipes.startWriters()
	if err := r.eng.StartContainer(bg, id); err != nil {
		pipes.release()
		// The attach stream ends once the container is removed.
		remove()
		_ = attachWait()
		if ctx.Err() != nil {
			return 0, fmt.Errorf("step %s: %w", r.spec.Step, ctx.Err())
		}
		return 0, r.stepErr("starting the container from %s: %v", r.cfg.image, err)
	}
	type exit struct {
		code int
		err  error
	}
	exited := make(chan exit, 1)
	go func() {
		c, err := r.eng.WaitContainer(bg, id)
		exited <- exit{c, err}
	}()
	var res exit
	select {
	case res = <-exited:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(bg, r.m.opts.Grace+30*time.Second)
		if err := r.eng.StopContainer(sctx, id, r.m.opts.Grace); err != nil && !errors.Is(err, ErrNotFound) {
			fmt.Fprintf(r.log, "truss: stopping container %s: %v\n", short(id), err)
		}
		cancel()
		res = <-exited
	}
	// The container is gone: release the pipes it did not open, then
	// drain its output before removing it.
	pipes.release()
	if err := attachWait(); err != nil && res.err == nil && ctx.Err() == nil {
		fmt.Fprintf(r.log, "truss: reading the container's output: %v\n", err)
	}
	pipes.finishReaders()
	if res.err != nil && ctx.Err() == nil {
		return 0, fmt.Errorf("step %s: waiting for container %s: %w", r.spec.Step, short(id), res.err)
	}
	return res.code, nil
}
