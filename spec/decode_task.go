package spec

import (
	"strings"
)

// taskKeys are the keys a task map may hold. The last group is Girder
// Worker's own metadata, which its files carry and its engine ignored.
func taskKeys() []string {
	return []string{
		"name", "description", "mode", "inputs", "outputs",
		"script", "script_file", "script_uri", "write_script",
		"retries", "timeout", "validate", "auto_convert",
		"steps", "connections",
		"docker_image", "container_args", "entrypoint", "pull_image", "docker_run_args",
		"progress_pipe", "user", "command", "volumes", "pipes",
		"cleanup", "_rm_container", "x", "y", "domain", "extensions", "script_fetch_mode",
	}
}

// task decodes a task map (top level, a step's inline task or an included
// file).
func (l *loader) task(n *node, f *srcFile) *Task {
	t := &Task{Pos: n.pos, Mode: "python"}
	var modeE, scriptE, fileE, uriE, stepsE, connE *entry
	for i := range n.entries {
		e := &n.entries[i]
		switch e.key {
		case "name":
			t.Name, _ = l.textVal(e, "name")
		case "description":
			t.Description, _ = l.textVal(e, "description")
		case "mode":
			modeE = e
		case "inputs":
			t.Inputs = l.ports(e, "input")
		case "outputs":
			t.Outputs = l.ports(e, "output")
		case "script":
			scriptE = e
		case "script_file":
			fileE = e
		case "script_uri":
			uriE = e
		case "write_script":
			t.WriteScript, _ = l.truthy(e, "write_script")
		case "retries":
			t.Retries, _ = l.retriesVal(e, "retries")
		case "timeout":
			t.Timeout, _ = l.timeoutVal(e, "timeout")
		case "validate":
			t.Validate = l.boolPtr(e, "validate")
		case "auto_convert":
			t.AutoConvert = l.boolPtr(e, "auto_convert")
		case "steps":
			stepsE = e
		case "connections":
			connE = e
		case "docker_image", "container_args", "entrypoint", "pull_image", "docker_run_args",
			"progress_pipe", "user", "command", "volumes", "pipes":
			if v, ok := l.option(e); ok {
				if t.Options == nil {
					t.Options, t.OptionPos = map[string]any{}, map[string]Pos{}
				}
				t.Options[e.key] = v
				t.OptionPos[e.key] = e.val.pos
			}
		case "cleanup", "_rm_container", "x", "y", "domain", "extensions", "script_fetch_mode":
			if t.Extra == nil {
				t.Extra = map[string]any{}
			}
			t.Extra[e.key] = e.val.value()
		default:
			l.unknownKey(e, "task", taskKeys())
			if s := suggest(e.key, taskKeys()); strings.HasPrefix(s, "script") {
				// A misspelt script key: the script is there, so do not
				// also report it missing.
				l.scripted[t] = true
			}
		}
	}
	if modeE != nil {
		l.mode(t, modeE)
	} else if stepsE != nil {
		// A task with steps is a workflow even when it forgot to say so.
		t.Mode = "workflow"
	}
	l.script(t, f, scriptE, fileE, uriE)

	if t.IsWorkflow() {
		for _, e := range []*entry{scriptE, fileE, uriE} {
			if e != nil {
				l.warnf(e.keyPos, "%s is ignored: a workflow runs its steps", e.key)
			}
		}
		l.workflow(t, f, stepsE, connE)
	} else {
		for _, e := range []*entry{stepsE, connE} {
			if e != nil {
				l.errorf(e.keyPos, "%s need mode: workflow (this task has mode: %s)", e.key, t.Mode)
			}
		}
		for _, p := range t.Outputs {
			if p.From != "" {
				l.errorf(p.FromPos, "output %s: from: only applies to outputs of a workflow (mode: workflow)", q(p.Name))
			}
		}
	}
	for _, p := range t.Inputs {
		if p.From != "" {
			l.errorf(p.FromPos, "input %s: from: only applies to outputs; inputs are wired with a step's in:", q(p.Name))
		}
	}
	return t
}

func (l *loader) mode(t *Task, e *entry) {
	m, ok := l.stringVal(e, "mode")
	if !ok {
		return
	}
	t.Mode = m
	for _, k := range l.modes {
		if k == m {
			return
		}
	}
	l.errorf(e.val.pos, "unknown mode %s%s (known modes: %s)", q(m), didYouMean(m, l.modes), strings.Join(l.modes, ", "))
}

// script resolves script, script_file and script_uri. Girder Worker used
// script_uri only when script was absent; script_file is truss's and must
// stand alone.
func (l *loader) script(t *Task, f *srcFile, scriptE, fileE, uriE *entry) {
	if scriptE != nil || fileE != nil || uriE != nil {
		l.scripted[t] = true
	}
	if scriptE != nil && fileE != nil {
		l.errorf(fileE.keyPos, "script and script_file are both given; keep one")
	}
	if fileE != nil && uriE != nil {
		l.errorf(uriE.keyPos, "script_file and script_uri are both given; keep one")
	}
	switch {
	case scriptE != nil:
		if s, ok := l.stringVal(scriptE, "script"); ok {
			t.Script = s
			t.ScriptPos = scriptE.val.textPos
		}
		if uriE != nil {
			l.warnf(uriE.keyPos, "script_uri is ignored because script is given")
		}
	case fileE != nil:
		if p, ok := l.stringVal(fileE, "script_file"); ok {
			l.readScript(t, f, fileE, "script_file", p)
		}
	case uriE != nil:
		uri, ok := l.stringVal(uriE, "script_uri")
		if !ok {
			return
		}
		p, isFile := strings.CutPrefix(uri, "file://")
		if !isFile {
			l.errorf(uriE.val.pos, "only file:// script_uri is supported offline, got %q: save the script next to the spec and use script_file", uri)
			return
		}
		l.readScript(t, f, uriE, "script_uri", p)
	}
}

func (l *loader) readScript(t *Task, f *srcFile, e *entry, key, written string) {
	if written == "" {
		l.errorf(e.val.pos, "%s is empty: name the script file", key)
		return
	}
	path := f.resolvePath(written)
	t.ScriptFile = path
	text, err := readRelated(key, written, path)
	if err != nil {
		l.errorf(e.val.pos, "%v", err)
		return
	}
	t.Script = text
	t.ScriptPos = Pos{File: path, Line: 1, Col: 1}
}

// checkRunnable reports a python or R task that has nothing to run.
// Visualization steps are never run, so their tasks are not checked.
func (l *loader) checkRunnable(t *Task) {
	if t == nil || (t.Mode != "python" && t.Mode != "r") {
		return
	}
	if !l.scripted[t] {
		l.errorf(t.Pos, "%s task has no script: add script (inline code) or script_file (a file next to the spec)", t.Mode)
	}
}

// option reads a docker/shell field, checking only its shape; the docker
// and shell modes validate the content.
func (l *loader) option(e *entry) (any, bool) {
	v := e.val
	switch e.key {
	case "docker_image", "user":
		return l.stringVal(e, e.key)
	case "pull_image", "progress_pipe":
		return l.boolVal(e, e.key)
	case "container_args":
		return l.stringList(e, false)
	case "entrypoint", "command":
		return l.stringList(e, true)
	case "docker_run_args":
		if v.kind != mapNode {
			l.errorf(v.pos, "docker_run_args must be a map of docker run options (e.g. {network_disabled: true}), not %s", v.describe())
			return nil, false
		}
		return v.value(), true
	default: // volumes, pipes
		if v.kind != listNode {
			l.errorf(v.pos, "%s must be a list of maps (e.g. [{name: data, …}]), not %s", e.key, v.describe())
			return nil, false
		}
		ok := true
		for i, it := range v.items {
			if it.kind != mapNode {
				l.errorf(it.pos, "%s[%d] must be a map, not %s", e.key, i, it.describe())
				ok = false
			}
		}
		return v.value(), ok
	}
}

// stringList reads a list of arguments as []string; numbers are kept as
// written. allowString also accepts one string (entrypoint: "sh -c").
func (l *loader) stringList(e *entry, allowString bool) (any, bool) {
	v := e.val
	if allowString && v.kind == stringNode {
		return v.text, true
	}
	if v.kind != listNode {
		if allowString {
			l.errorf(v.pos, "%s must be a string or a list of strings, not %s", e.key, v.describe())
		} else {
			l.errorf(v.pos, "%s must be a list of strings, not %s", e.key, v.describe())
		}
		return nil, false
	}
	out := make([]string, 0, len(v.items))
	ok := true
	for i, it := range v.items {
		if it.kind != stringNode && it.kind != intNode && it.kind != floatNode {
			l.errorf(it.pos, "%s[%d] must be a string, not %s", e.key, i, it.describe())
			ok = false
			continue
		}
		out = append(out, it.text)
	}
	return out, ok
}
