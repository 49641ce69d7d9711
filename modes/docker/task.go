package docker

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/truss-dev/truss/modes/cmdline"
	"github.com/truss-dev/truss/spec"
)

// ProgressPipe is the progress FIFO's path in the data volume (Girder
// Worker's .girder_progress).
const ProgressPipe = ".girder_progress"

// volumeRoot is where volumes other than the data volume are mounted.
const volumeRoot = "/mnt/girder_worker/"

// taskConfig is a docker task's options, parsed and checked.
type taskConfig struct {
	image      string
	pull       bool
	entrypoint []string // nil: the image's
	args       []string // container_args, unexpanded
	user       string   // "auto", "image" or a docker user spec
	progress   bool
	run        runArgs
	volumes    []volume
	pipes      []pipe
}

// volume is a `volumes:` entry.
type volume struct {
	name      string
	host      string // bind mounts
	container string
	readOnly  bool
	temporary bool
}

// pipe is a named pipe in the data volume: a `pipes:` entry or a port
// with stream: true.
type pipe struct {
	name string // file name in the data volume (relative path)
	in   bool   // host writes, container reads
	port string // input it is fed from / output it fills
	log  bool   // out pipe whose bytes go to the node log
}

var (
	volumeRe = regexp.MustCompile(`\$volume\{([^}]*)\}`)
	pipeRe   = regexp.MustCompile(`\$pipe\{([^}]*)\}`)
)

// parse reads and checks a docker task's options. Errors carry no step
// name; roots limits host paths of bind volumes (nil: no limit).
func parse(s *cmdline.Spec, roots []string) (*taskConfig, []error) {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	o := s.Options
	c := &taskConfig{pull: true, user: "auto"}
	switch img := o["docker_image"].(type) {
	case string:
		c.image = strings.TrimSpace(img)
	case nil:
	default:
		add("docker_image must be a string, not %T", img)
	}
	if c.image == "" {
		add("a docker task needs docker_image: the image to run (e.g. docker_image: registry.example/tool@sha256:…)")
	}
	if v, ok := o["pull_image"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			add("pull_image must be true or false, not %T", v)
		}
		c.pull = b
	}
	if v, ok := o["progress_pipe"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			add("progress_pipe must be true or false, not %T", v)
		}
		c.progress = b
	}
	if v, ok := o["user"]; ok {
		u, isStr := v.(string)
		if !isStr || strings.TrimSpace(u) == "" {
			add(`user must be "auto" (the caller's uid:gid), "image" (the image's user) or a docker user ("1000:1000"), not %v`, v)
		} else {
			c.user = strings.TrimSpace(u)
		}
	}
	if _, ok := o["command"]; ok {
		add("command is a shell setting; a docker task takes entrypoint and container_args")
	}
	var err error
	if c.entrypoint, err = cmdline.StringList("entrypoint", o["entrypoint"], true); err != nil {
		errs = append(errs, err)
	}
	if c.args, err = cmdline.StringList("container_args", o["container_args"], false); err != nil {
		errs = append(errs, err)
	}
	if v, ok := o["docker_run_args"]; ok {
		m, isMap := v.(map[string]any)
		if !isMap {
			add("docker_run_args must be a map of docker run options (e.g. {network_disabled: true}), not %T", v)
		} else {
			var more []error
			c.run, more = parseRunArgs(m)
			errs = append(errs, more...)
		}
	}
	errs = append(errs, c.parseVolumes(o["volumes"], roots)...)
	errs = append(errs, c.parsePipes(s, o["pipes"])...)

	// Tokens of the docker kinds must name what the task declares.
	for i, a := range c.args {
		for _, m := range volumeRe.FindAllStringSubmatch(a, -1) {
			if _, ok := c.volume(m[1]); !ok && m[1] != "" {
				add("container_args[%d] %q: %s names no volume (volumes: %s)", i, a, m[0], c.volumeNames())
			}
		}
		for _, m := range pipeRe.FindAllStringSubmatch(a, -1) {
			if _, ok := c.pipe(m[1]); !ok && m[1] != "" {
				add("container_args[%d] %q: %s names no pipe (pipes: %s)", i, a, m[0], c.pipeNames())
			}
		}
		if strings.Contains(a, "$progress") {
			c.progress = true
		}
	}
	return c, errs
}

func (c *taskConfig) volume(name string) (volume, bool) {
	for _, v := range c.volumes {
		if v.name == name {
			return v, true
		}
	}
	return volume{}, false
}

func (c *taskConfig) pipe(name string) (pipe, bool) {
	for _, p := range c.pipes {
		if p.name == name {
			return p, true
		}
	}
	return pipe{}, false
}

func (c *taskConfig) volumeNames() string {
	return listNames(c.volumes, func(v volume) string { return v.name })
}

func (c *taskConfig) pipeNames() string {
	return listNames(c.pipes, func(p pipe) string { return p.name })
}

// listNames joins the names of items for a message, "(none)" when empty.
func listNames[T any](items []T, name func(T) string) string {
	if len(items) == 0 {
		return "(none)"
	}
	n := make([]string, len(items))
	for i, it := range items {
		n[i] = name(it)
	}
	return strings.Join(n, ", ")
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

func (c *taskConfig) parseVolumes(v any, roots []string) []error {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return []error{fmt.Errorf("volumes must be a list of maps, not %T", v)}
	}
	var errs []error
	seen := map[string]bool{}
	for i, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("volumes[%d] must be a map, not %T", i, it))
			continue
		}
		where := fmt.Sprintf("volumes[%d]", i)
		for k := range m {
			if !slices.Contains([]string{"name", "host_path", "container_path", "mode", "temporary"}, k) {
				errs = append(errs, fmt.Errorf("%s: unknown key %q (keys: name, host_path, container_path, mode, temporary)", where, k))
			}
		}
		vol := volume{}
		vol.name, _ = m["name"].(string)
		if !nameRe.MatchString(vol.name) {
			errs = append(errs, fmt.Errorf("%s: name must be a simple name (letters, digits, _ . -), not %v", where, m["name"]))
			continue
		}
		where += " (" + vol.name + ")"
		if seen[vol.name] {
			errs = append(errs, fmt.Errorf("%s: the name is used twice", where))
		}
		seen[vol.name] = true
		vol.temporary, _ = m["temporary"].(bool)
		host, _ := m["host_path"].(string)
		vol.container, _ = m["container_path"].(string)
		mode, _ := m["mode"].(string)
		switch mode {
		case "", "rw":
		case "ro":
			vol.readOnly = true
		default:
			errs = append(errs, fmt.Errorf("%s: mode must be ro or rw, not %v", where, m["mode"]))
		}
		if vol.temporary {
			if host != "" {
				errs = append(errs, fmt.Errorf("%s: a temporary volume has no host_path (truss makes the directory)", where))
			}
			if vol.container == "" {
				vol.container = volumeRoot + vol.name
			}
		} else {
			if host == "" {
				errs = append(errs, fmt.Errorf("%s: add host_path (a directory to mount) or temporary: true", where))
				continue
			}
			if !filepath.IsAbs(host) {
				errs = append(errs, fmt.Errorf("%s: host_path %q must be absolute", where, host))
				continue
			}
			vol.host = filepath.Clean(host)
			if _, err := os.Stat(vol.host); err != nil {
				errs = append(errs, fmt.Errorf("%s: host_path: %w", where, err))
			}
			if len(roots) > 0 && !underAny(vol.host, roots) {
				errs = append(errs, fmt.Errorf("%s: host_path %s is outside the allowed roots (docker.allowed_host_paths: %s)", where, vol.host, strings.Join(roots, ", ")))
			}
			if vol.container == "" {
				errs = append(errs, fmt.Errorf("%s: add container_path (where the container sees %s)", where, host))
				continue
			}
		}
		if !path.IsAbs(vol.container) {
			errs = append(errs, fmt.Errorf("%s: container_path %q must be absolute", where, vol.container))
		} else if c := path.Clean(vol.container); c == cmdline.DataVolume || strings.HasPrefix(c, cmdline.DataVolume+"/") {
			errs = append(errs, fmt.Errorf("%s: container_path %s is inside the data volume %s", where, c, cmdline.DataVolume))
		}
		vol.container = path.Clean(vol.container)
		c.volumes = append(c.volumes, vol)
	}
	return errs
}

func underAny(p string, roots []string) bool {
	for _, r := range roots {
		r = filepath.Clean(r)
		if p == r || strings.HasPrefix(p, strings.TrimSuffix(r, "/")+"/") {
			return true
		}
	}
	return false
}

func (c *taskConfig) parsePipes(s *cmdline.Spec, v any) []error {
	var errs []error
	// Ports with stream: true are pipes named after their path (Girder
	// Worker's legacy form).
	for i, ports := range [][]cmdline.Port{s.Inputs, s.Outputs} {
		for _, p := range ports {
			if !p.Stream {
				continue
			}
			if !p.IsFilepath() {
				errs = append(errs, fmt.Errorf("port %q: a stream port needs target: filepath (its named pipe is a file in the data volume)", p.Name))
				continue
			}
			in, name := i == 0, outRel(p)
			if path.IsAbs(name) || strings.Contains(name, "..") || name == "" {
				errs = append(errs, fmt.Errorf("port %q: Streaming filepaths must be relative (inside the data volume), not %q", p.Name, name))
				continue
			}
			c.pipes = append(c.pipes, pipe{name: name, in: in, port: p.Name})
		}
	}
	if v == nil {
		return errs
	}
	list, ok := v.([]any)
	if !ok {
		return append(errs, fmt.Errorf("pipes must be a list of maps, not %T", v))
	}
	for i, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("pipes[%d] must be a map, not %T", i, it))
			continue
		}
		where := fmt.Sprintf("pipes[%d]", i)
		for k := range m {
			if !slices.Contains([]string{"name", "direction", "from", "to"}, k) {
				errs = append(errs, fmt.Errorf("%s: unknown key %q (keys: name, direction, from, to)", where, k))
			}
		}
		name, _ := m["name"].(string)
		if !nameRe.MatchString(name) {
			errs = append(errs, fmt.Errorf("%s: name must be a simple name (letters, digits, _ . -), not %v", where, m["name"]))
			continue
		}
		where += " (" + name + ")"
		if _, dup := c.pipe(name); dup {
			errs = append(errs, fmt.Errorf("%s: the name is used twice", where))
			continue
		}
		from, _ := m["from"].(string)
		to, _ := m["to"].(string)
		switch dir, _ := m["direction"].(string); dir {
		case "in":
			if from == "" || to != "" {
				errs = append(errs, fmt.Errorf("%s: an in pipe takes from: <input id> (and no to)", where))
				continue
			}
			if !slices.ContainsFunc(s.Inputs, func(q cmdline.Port) bool { return q.Name == from }) {
				errs = append(errs, fmt.Errorf("%s: from %q names no input (inputs: %s)%s", where, from, portNames(s.Inputs), hint(from, s.Inputs)))
				continue
			}
			c.pipes = append(c.pipes, pipe{name: name, in: true, port: from})
		case "out":
			if to == "" || from != "" {
				errs = append(errs, fmt.Errorf("%s: an out pipe takes to: <output id> or to: _log (and no from)", where))
				continue
			}
			if to == "_log" {
				c.pipes = append(c.pipes, pipe{name: name, log: true})
				continue
			}
			i := slices.IndexFunc(s.Outputs, func(q cmdline.Port) bool { return q.Name == to })
			if i < 0 {
				errs = append(errs, fmt.Errorf("%s: to %q names no output (outputs: %s, or _log)%s", where, to, portNames(s.Outputs), hint(to, s.Outputs)))
				continue
			}
			if !s.Outputs[i].IsFilepath() {
				errs = append(errs, fmt.Errorf("%s: output %q needs target: filepath to receive a pipe", where, to))
				continue
			}
			c.pipes = append(c.pipes, pipe{name: name, port: to})
		default:
			errs = append(errs, fmt.Errorf("%s: direction must be in or out, not %v", where, m["direction"]))
		}
	}
	return errs
}

func portNames(ps []cmdline.Port) string {
	return listNames(ps, func(p cmdline.Port) string { return p.Name })
}

func hint(name string, ps []cmdline.Port) string {
	n := make([]string, len(ps))
	for i, p := range ps {
		n[i] = p.Name
	}
	if s := spec.Suggest(name, n); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

// runArgs are the docker_run_args truss passes on: a documented, checked
// subset of docker-py's containers.run keywords.
type runArgs struct {
	env             []string
	networkMode     string
	networkDisabled bool
	memory          int64
	memorySwap      int64
	nanoCPUs        int64
	cpuShares       int64
	cpuPeriod       int64
	cpuQuota        int64
	cpusetCpus      string
	shmSize         int64
	workingDir      string
	user            string
	runtime         string
	devices         []DeviceRequest
}

// RunArgKeys are the docker_run_args keys truss accepts.
var runArgKeys = []string{
	"environment", "network", "network_mode", "network_disabled",
	"mem_limit", "memswap_limit", "nano_cpus", "cpus", "cpu_shares", "cpu_period", "cpu_quota", "cpuset_cpus",
	"shm_size", "working_dir", "user", "runtime", "device_requests",
	"tty", "detach", // ignored, as in Girder Worker
}

func parseRunArgs(m map[string]any) (runArgs, []error) {
	var r runArgs
	var errs []error
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		bad := func(want string) {
			errs = append(errs, fmt.Errorf("docker_run_args.%s must be %s, not %v", k, want, v))
		}
		var err error
		switch k {
		case "environment":
			switch e := v.(type) {
			case map[string]any:
				names := make([]string, 0, len(e))
				for n := range e {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					r.env = append(r.env, n+"="+cmdline.PyStr(e[n]))
				}
			case []any:
				for _, x := range e {
					s, ok := x.(string)
					if !ok || !strings.Contains(s, "=") {
						bad(`a map {NAME: value} or a list of "NAME=value"`)
						break
					}
					r.env = append(r.env, s)
				}
			default:
				bad(`a map {NAME: value} or a list of "NAME=value"`)
			}
		case "network", "network_mode":
			if s, ok := v.(string); ok && s != "" {
				r.networkMode = s
			} else {
				bad("a network name (none, bridge, host, container:<id>, or a user network)")
			}
		case "network_disabled":
			if b, ok := v.(bool); ok {
				r.networkDisabled = b
			} else {
				bad("true or false")
			}
		case "mem_limit":
			if r.memory, err = size(v); err != nil {
				bad(`a size in bytes or with a unit ("512m", "2g")`)
			}
		case "memswap_limit":
			if r.memorySwap, err = size(v); err != nil {
				bad(`a size in bytes or with a unit ("1g"), or -1`)
			}
		case "shm_size":
			if r.shmSize, err = size(v); err != nil {
				bad(`a size in bytes or with a unit ("256m")`)
			}
		case "nano_cpus":
			if r.nanoCPUs, err = integer(v); err != nil || r.nanoCPUs < 0 {
				bad("a non-negative integer (1e9 = one CPU)")
			}
		case "cpus":
			f, ok := number(v)
			if !ok || f <= 0 {
				bad("a positive number of CPUs (1.5)")
			}
			r.nanoCPUs = int64(math.Round(f * 1e9))
		case "cpu_shares":
			if r.cpuShares, err = integer(v); err != nil {
				bad("an integer")
			}
		case "cpu_period":
			if r.cpuPeriod, err = integer(v); err != nil {
				bad("an integer (microseconds)")
			}
		case "cpu_quota":
			if r.cpuQuota, err = integer(v); err != nil {
				bad("an integer (microseconds)")
			}
		case "cpuset_cpus":
			if s, ok := v.(string); ok {
				r.cpusetCpus = s
			} else {
				bad(`a CPU list ("0-1", "0,2")`)
			}
		case "working_dir":
			if s, ok := v.(string); ok && path.IsAbs(s) {
				r.workingDir = s
			} else {
				bad("an absolute path in the container")
			}
		case "user":
			if s, ok := v.(string); ok && s != "" {
				r.user = s
			} else {
				bad(`a user ("1000:1000", "nobody")`)
			}
		case "runtime":
			if s, ok := v.(string); ok && s != "" {
				r.runtime = s
			} else {
				bad(`a runtime name ("nvidia")`)
			}
		case "device_requests":
			if r.devices, err = deviceRequests(v); err != nil {
				errs = append(errs, fmt.Errorf("docker_run_args.device_requests: %w", err))
			}
		case "tty", "detach":
			// Girder Worker ignores them too: truss always runs detached
			// without a terminal.
		case "volumes":
			errs = append(errs, errors.New("docker_run_args.volumes: declare mounts with volumes: [{name, host_path, container_path, mode}] at the task level"))
		case "remove", "auto_remove", "remove_container":
			errs = append(errs, fmt.Errorf("docker_run_args.%s: truss removes containers itself once their output is drained (set docker.gc in config to keep them for `truss gc --docker`)", k))
		default:
			msg := fmt.Sprintf("docker_run_args.%s is not supported; truss accepts %s", k, strings.Join(runArgKeys[:len(runArgKeys)-2], ", "))
			if s := spec.Suggest(k, runArgKeys); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs = append(errs, errors.New(msg))
		}
	}
	return r, errs
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func integer(v any) (int64, error) {
	f, ok := number(v)
	if !ok || f != math.Trunc(f) {
		return 0, errors.New("not an integer")
	}
	return int64(f), nil
}

// size reads a byte count: a number, or a string with a b/k/m/g suffix
// (powers of 1024, as docker-py reads mem_limit).
func size(v any) (int64, error) {
	if n, err := integer(v); err == nil {
		return n, nil
	}
	s, ok := v.(string)
	if !ok {
		return 0, errors.New("not a size")
	}
	s = strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'b':
			s = s[:n-1]
		case 'k':
			mult, s = 1<<10, s[:n-1]
		case 'm':
			mult, s = 1<<20, s[:n-1]
		case 'g':
			mult, s = 1<<30, s[:n-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < -1 {
		return 0, errors.New("not a size")
	}
	return n * mult, nil
}

func deviceRequests(v any) ([]DeviceRequest, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("must be a list of {driver, count, device_ids, capabilities, options}, not %T", v)
	}
	var out []DeviceRequest
	for i, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("[%d] must be a map", i)
		}
		d := DeviceRequest{Count: 0}
		for k, x := range m {
			switch k {
			case "driver":
				d.Driver, _ = x.(string)
			case "count":
				n, err := integer(x)
				if err != nil {
					return nil, fmt.Errorf("[%d].count must be an integer (-1 = all)", i)
				}
				d.Count = int(n)
			case "device_ids":
				ids, err := cmdline.StringList("device_ids", x, false)
				if err != nil {
					return nil, fmt.Errorf("[%d].%w", i, err)
				}
				d.DeviceIDs = ids
			case "capabilities":
				caps, ok := x.([]any)
				if !ok {
					return nil, fmt.Errorf("[%d].capabilities must be a list of lists ([[gpu]])", i)
				}
				for _, c := range caps {
					l, err := cmdline.StringList("capabilities", c, false)
					if err != nil {
						return nil, fmt.Errorf("[%d].capabilities must be a list of lists ([[gpu]])", i)
					}
					d.Capabilities = append(d.Capabilities, l)
				}
			case "options":
				om, ok := x.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("[%d].options must be a map", i)
				}
				d.Options = map[string]string{}
				for ok, ov := range om {
					d.Options[ok] = cmdline.PyStr(ov)
				}
			default:
				return nil, fmt.Errorf("[%d]: unknown key %q (keys: driver, count, device_ids, capabilities, options)", i, k)
			}
		}
		out = append(out, d)
	}
	return out, nil
}
