package spec

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/truss-dev/truss/formats"
)

// TestDiagnostics loads broken specs and checks every diagnostic, text and
// position, so messages stay stable and every problem is reported in one
// pass.
func TestDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string // under testdata/broken when src is empty
		src  string
		want []string
	}{
		{name: "empty file", file: "empty.yaml", src: "\n  \n", want: []string{
			"empty.yaml:1:1: empty spec: write a task map with mode, inputs, outputs and a script (or steps)",
		}},
		{name: "only a comment", file: "c.yaml", src: "# nothing here\n", want: []string{
			"c.yaml:1:1: empty spec: write a task map with mode, inputs, outputs and a script (or steps)",
		}},
		{name: "list at top level", file: "list.yaml", src: "- mode: python\n", want: []string{
			"list.yaml:1:1: a spec is a map of task fields (mode, inputs, outputs, script, steps, …), not a list",
		}},
		{name: "scalar at top level", file: "s.yaml", src: "hello\n", want: []string{
			"s.yaml:1:1: a spec is a map of task fields (mode, inputs, outputs, script, steps, …), not a string",
		}},
		{name: "yaml syntax error", file: "syn.yaml", src: "mode: python\nscript: b = 1\n outputs: [{name: b}]\n", want: []string{
			"syn.yaml:3:1: YAML syntax error: mapping values are not allowed in this context (check the indentation, or quote a value that contains \": \")",
		}},
		{name: "yaml tab indent", file: "tab.yaml", src: "outputs:\n\t- {name: b}\n", want: []string{
			"tab.yaml:2:1: YAML syntax error: found character that cannot start any token (indent with spaces, not tabs; quote values that start with @ or `)",
		}},
		{name: "yaml unclosed flow", file: "flow.yaml", src: "script: b = 1\noutputs: [{name: b}\n", want: []string{
			"flow.yaml:2:1: YAML syntax error: did not find expected ',' or ']' (a [ or { opened here is not closed)",
		}},
		{name: "yaml two documents", file: "two.yaml", src: "script: b = 1\n---\nscript: c = 1\n", want: []string{
			"two.yaml:2:1: a spec file holds one YAML document; remove the --- separator and what follows, or move it to its own file",
		}},
		{name: "yaml unknown anchor", file: "anchor.yaml", src: "script: b = 1\noutputs: *ports\n", want: []string{
			"anchor.yaml:2:10: YAML: unknown anchor ports: define it with &ports before using *ports",
		}},
		{name: "json syntax error", file: "syn.json", src: "{\"mode\": \"python\",\n \"script\": \"b = 1\"\n \"outputs\": []}\n", want: []string{
			"syn.json:3:2: JSON syntax error: invalid character '\"' after object key:value pair",
		}},
		{name: "json truncated", file: "trunc.json", src: "{\"mode\": \"python\",\n \"outputs\": [{\"name\": \"b\"},\n", want: []string{
			"trunc.json:3:1: JSON syntax error: unexpected end of file: the file is truncated or a closing } or ] is missing",
		}},
		{name: "json trailing data", file: "trail.json", src: "{\"script\": \"b = 1\"}\n}\n", want: []string{
			"trail.json:2:1: JSON syntax error: invalid character '}' after top-level value",
		}},
		{name: "duplicate keys", file: "dup.json", src: "{\"script\": \"b = 1\",\n \"mode\": \"python\",\n \"mode\": \"r\"}\n", want: []string{
			"dup.json:3:2: duplicate key mode (first at line 2, column 2); remove one",
		}},
		{name: "duplicate yaml keys", file: "dup.yaml", src: "script: b = 1\nmode: python\nmode: r\n", want: []string{
			"dup.yaml:3:1: duplicate key mode (first at line 2, column 1); remove one",
		}},
		{name: "unknown keys everywhere", file: "keys.yaml", src: `scirpt: b = 1
Mode: python
inputs:
  - {name: a, typ: number, format: number}
outputs:
  - {name: b, fromat: number}
`, want: []string{
			"keys.yaml:1:1: unknown key scirpt in task; did you mean script?",
			"keys.yaml:2:1: unknown key Mode in task; did you mean mode?",
			"keys.yaml:4:15: unknown key typ in input a; did you mean type?",
			"keys.yaml:6:15: unknown key fromat in output b; did you mean format?",
		}},
		{name: "wrong kinds", file: "kinds.yaml", src: `inputs: {a: 1}
outputs: [b]
script: [b = 1]
retries: -1
timeout: banana
validate: "yes"
write_script: sometimes
`, want: []string{
			"kinds.yaml:1:9: inputs must be a list of ports like [{name: a, type: number, format: number}], not a map",
			"kinds.yaml:2:11: output #1 must be a map like {name: a, type: number, format: number}, not a string",
			"kinds.yaml:3:9: script must be a string, not a list",
			"kinds.yaml:4:10: retries must be a whole number >= 0, got -1",
			"kinds.yaml:5:10: timeout must be a Go duration like 10m or 90s, or a number of seconds, got \"banana\"",
			"kinds.yaml:6:11: validate must be true or false, not a string",
			"kinds.yaml:7:15: write_script must be true or false, not a string",
		}},
		{name: "negative timeout and float retries", file: "t.yaml", src: "script: b = 1\nretries: 1.5\ntimeout: -5\n", want: []string{
			"t.yaml:2:10: retries must be a whole number >= 0, got 1.5",
			"t.yaml:3:10: timeout must be a number of seconds from 0 to 9223372035, got -5",
		}},
		{name: "too many retries and huge timeout", file: "r.yaml", src: "script: b = 1\nretries: 5000\ntimeout: 1e30\n", want: []string{
			"r.yaml:2:10: retries is 5000; at most 1000 extra attempts are allowed",
			"r.yaml:3:10: timeout must be a number of seconds from 0 to 9223372035, got 1e30",
		}},
		{name: "unknown mode", file: "mode.yaml", src: "mode: pyhton\nscript: b = 1\n", want: []string{
			"mode.yaml:1:7: unknown mode pyhton; did you mean python? (known modes: docker, python, r, shell, workflow)",
		}},
		{name: "types and formats", file: "types.yaml", src: `script: b = a
inputs:
  - {name: a, type: nubmer, format: number}
  - {name: c, type: table, format: cvs}
  - {name: d, type: number}
  - {name: e, format: csv}
  - {name: f, type: mystery, format: x}
outputs:
  - {name: b, type: number, format: number}
`, want: []string{
			"types.yaml:3:21: input a: unknown type nubmer; did you mean number?",
			"types.yaml:4:36: input c: unknown format cvs for type table; did you mean csv? (known formats of table: column.names, column.names.continuous, column.names.discrete, csv, jsonlines, objectlist, objectlist.bson, objectlist.json, r.dataframe, rows, rows.json, tsv)",
			"types.yaml:5:21: input d: type number needs a format too: add format: (formats of number: json, number)",
			"types.yaml:6:23: input e: format csv needs a type too: add type: table",
			"types.yaml:7:21: input f: unknown type mystery (known types: boolean, directory, graph, image, integer, integer_list, netcdf, number, number_list, python, r, string, string_list, table, tree)",
		}},
		{name: "duplicate ports", file: "dupports.json", src: `{"script": "b = a",
 "inputs": [{"name": "a"}, {"id": "a", "name": "Again"}],
 "outputs": [{"name": "b"}, {"name": "b"}]}
`, want: []string{
			"dupports.json:2:28: duplicate input a (first at line 2, column 13); port names must be unique",
			"dupports.json:3:29: duplicate output b (first at line 3, column 14); port names must be unique",
		}},
		{name: "port without name", file: "noname.yaml", src: "script: b = 1\ninputs:\n  - {type: number, format: number}\n  - 7\n", want: []string{
			"noname.yaml:3:5: input #1 has neither id nor name: add name: <port name>",
			"noname.yaml:4:5: input #2 must be a map like {name: a, type: number, format: number}, not an integer",
		}},
		{name: "target and stream", file: "target.yaml", src: `mode: docker
docker_image: busybox
inputs:
  - {id: a, target: file}
  - {id: s, stream: true}
outputs:
  - {id: _stdout, default: 1}
`, want: []string{
			"target.yaml:4:21: input a: target must be memory or filepath, got \"file\"",
			"target.yaml:5:21: input s: stream: true needs target: filepath (a stream is a named pipe the program opens as a file)",
			"target.yaml:7:19: output _stdout: default only applies to inputs",
		}},
		{name: "docker option shapes", file: "docker.yaml", src: `mode: docker
docker_image: [busybox]
container_args: "--x"
entrypoint: {a: 1}
pull_image: "no"
docker_run_args: [network_disabled]
volumes: [data]
command: [sh, {c: 1}]
`, want: []string{
			"docker.yaml:2:15: docker_image must be a string, not a list",
			"docker.yaml:3:17: container_args must be a list of strings, not a string",
			"docker.yaml:4:13: entrypoint must be a string or a list of strings, not a map",
			"docker.yaml:5:13: pull_image must be true or false, not a string",
			"docker.yaml:6:18: docker_run_args must be a map of docker run options (e.g. {network_disabled: true}), not a list",
			"docker.yaml:7:11: volumes[0] must be a map, not a string",
			"docker.yaml:8:15: command[1] must be a string, not a map",
		}},
		{name: "script and script_file", file: "testdata/broken/both.yaml", src: "script: b = 1\nscript_file: b.py\noutputs: [{name: b}]\n", want: []string{
			"testdata/broken/both.yaml:2:1: script and script_file are both given; keep one",
		}},
		{name: "python task without script", file: "noscript.yaml", src: "mode: r\noutputs: [{name: b}]\n", want: []string{
			"noscript.yaml:1:1: r task has no script: add script (inline code) or script_file (a file next to the spec)",
		}},
		{name: "script_uri over http", file: "script_uri.json", want: []string{
			"testdata/broken/script_uri.json:2:16: only file:// script_uri is supported offline, got \"https://example.org/x.py\": save the script next to the spec and use script_file",
		}},
		{name: "steps without workflow mode", file: "steps.yaml", src: "mode: python\nscript: b = 1\nsteps: []\nconnections: []\n", want: []string{
			"steps.yaml:3:1: steps need mode: workflow (this task has mode: python)",
			"steps.yaml:4:1: connections need mode: workflow (this task has mode: python)",
		}},
		{name: "duplicate steps and step keys", file: "steps.yaml", src: `mode: workflow
outputs: [{name: r, from: a.b}]
steps:
  - name: a
    task: {script: b = 1, outputs: [{name: b}]}
    retry: 2
  - name: a
    task: {script: b = 2, outputs: [{name: b}]}
  - task: {script: b = 2}
  - name: c
  - name: d
    task: 5
    timeout: 10x
`, want: []string{
			"steps.yaml:6:5: unknown key retry in step a",
			"steps.yaml:7:11: duplicate step a (first at line 4, column 11); step names must be unique",
			"steps.yaml:9:5: step #3 has no name: add name: <step name>",
			"steps.yaml:10:5: step c has no task: give a task file (task: tasks/add.yaml) or an inline task map",
			"steps.yaml:12:11: step d: task must be a task file name or an inline task map, not 5",
			"steps.yaml:13:14: step d: timeout must be a Go duration like 10m or 90s, or a number of seconds, got \"10x\"",
		}},
		{name: "connections", file: "conn.json", src: `{"mode": "workflow",
 "inputs": [{"name": "x"}],
 "outputs": [{"name": "result"}],
 "steps": [
  {"name": "add3", "task": {"inputs": [{"name": "a"}], "outputs": [{"name": "b"}], "script": "b = a + 3"}},
  {"name": "mul", "task": {"inputs": [{"name": "in1"}, {"name": "in2"}], "outputs": [{"name": "out"}], "script": "out = in1 * in2"}}
 ],
 "connections": [
  {"name": "xx", "input_step": "add3", "input": "a"},
  {"output_step": "ad3", "output": "b", "input_step": "mul", "input": "in1"},
  {"output_step": "add3", "output": "c", "input_step": "mul", "input": "in3"},
  {"name": "x", "input": "a"},
  {"name": "x", "input_stp": "mul", "input": "in2"},
  {"name": "resutl", "output_step": "mul", "output": "out"}
 ]}
`, want: []string{
			"conn.json:3:14: output result is never produced: add a connection {\"name\": \"result\", \"output_step\": …, \"output\": …}",
			"conn.json:6:3: step mul: input in2 is not connected and has no default",
			"conn.json:9:12: connection #1: unknown workflow input xx; did you mean x?",
			"conn.json:10:19: connection #2: unknown step ad3; did you mean add3?",
			"conn.json:11:37: connection #3: step add3 has no output c (its outputs: b)",
			"conn.json:11:72: connection #3: step mul has no input in3; did you mean in1?",
			"conn.json:12:3: connection #4 has keys {input, name}, which match no connection shape: use {name, input_step, input} (workflow input to step), {output_step, output, input_step, input} (step to step) or {name, output_step, output} (step to workflow output)",
			"conn.json:13:17: unknown key input_stp in connection #5; did you mean input_step?",
			"conn.json:14:12: connection #6: unknown workflow output resutl; did you mean result?",
		}},
		{name: "bound twice and produced twice", file: "twice.json", src: `{"mode": "workflow",
 "inputs": [{"name": "x"}, {"name": "y"}],
 "outputs": [{"name": "r"}],
 "steps": [{"name": "s", "task": {"inputs": [{"name": "a"}], "outputs": [{"name": "b"}], "script": "b = a"}}],
 "connections": [
  {"name": "x", "input_step": "s", "input": "a"},
  {"name": "y", "input_step": "s", "input": "a"},
  {"name": "r", "output_step": "s", "output": "b"},
  {"name": "r", "output_step": "s", "output": "b"}
 ]}
`, want: []string{
			"twice.json:7:3: step s: input a is bound twice (first at line 6, column 3); keep one",
			"twice.json:9:3: output r is produced twice (first at line 8, column 3); keep one",
		}},
		{name: "unconnected and never produced", file: "open.yaml", src: `mode: workflow
inputs:
  - {name: x}
  - {name: unused}
outputs:
  - {name: r}
steps:
  - name: mul
    task:
      inputs: [{name: in1}, {name: in2}, {name: k, default: 2}]
      outputs: [{name: out}]
      script: out = in1 * in2 * k
    in: {in1: x}
  - name: vis
    visualization: true
    task: {inputs: [{name: v}]}
`, want: []string{
			"open.yaml:4:5: warning: workflow input unused is not used by any step",
			"open.yaml:6:5: output r is never produced: add `from: step.port`",
			"open.yaml:8:5: step mul: input in2 is not connected and has no default",
		}},
		{name: "never produced in json", file: "open.json", src: `{"mode": "workflow", "outputs": [{"name": "r"}],
 "steps": [{"name": "s", "task": {"outputs": [{"name": "b"}], "script": "b = 1"}}]}
`, want: []string{
			"open.json:1:34: output r is never produced: add a connection {\"name\": \"r\", \"output_step\": …, \"output\": …}",
		}},
		{name: "sugar references", file: "sugar.yaml", src: `mode: workflow
inputs:
  - {name: x}
  - {name: a.b}
outputs:
  - {name: r, from: mu.out}
  - {name: s, from: x}
  - {name: t, from: mul.c}
  - {name: u, from: mul}
steps:
  - name: add3
    task: {inputs: [{name: a}], outputs: [{name: b}], script: b = a + 3}
    in: {a: xx}
  - name: mul
    task: {inputs: [{name: in1}, {name: in2}, {name: in3}, {name: in4}], outputs: [{name: out}], script: out = 1}
    in: {in1: ad3.b, in2: add3.c, in3: a.b, in4: add3, in5: x}
  - name: my.step
    task: {inputs: [{name: a}], outputs: [{name: b}], script: b = a}
    in: {a: x.y.z}
`, want: []string{
			"sugar.yaml:6:21: output r: from: unknown step mu in mu.out; did you mean mul.out?",
			"sugar.yaml:7:21: output s: from: x is a workflow input; from: names a step output (<step>.<output>)",
			"sugar.yaml:8:21: output t: from: step mul has no output c (its outputs: out)",
			"sugar.yaml:9:21: output u: from: mul is a step: name one of its outputs as mul.<output> (mul.out)",
			"sugar.yaml:13:13: step add3, input a: xx is neither a workflow input nor <step>.<output>; did you mean x?",
			"sugar.yaml:16:15: step mul, input in1: unknown step ad3 in ad3.b; did you mean add3.b?",
			"sugar.yaml:16:27: step mul, input in2: step add3 has no output c (its outputs: b)",
			"sugar.yaml:16:40: step mul, input in3: workflow input a.b cannot be named in in: (names there must match [A-Za-z_][A-Za-z0-9_-]*, no dots); rename the input",
			"sugar.yaml:16:50: step mul, input in4: add3 is a step: name one of its outputs as add3.<output> (add3.b)",
			"sugar.yaml:16:56: step mul: in: its task has no input in5; did you mean in1?",
			"sugar.yaml:17:11: step name my.step must match [A-Za-z_][A-Za-z0-9_-]* (no dots) in a workflow wired with in: or from:",
			"sugar.yaml:19:13: step my.step, input a: \"x.y.z\" is not a valid reference: names in in: and from: must match [A-Za-z_][A-Za-z0-9_-]* (no dots)",
		}},
		{name: "step in wrong shapes", file: "in.yaml", src: `mode: workflow
inputs: [{name: x}]
outputs: [{name: r, from: s.b}]
steps:
  - name: s
    task: {inputs: [{name: a}], outputs: [{name: b}], script: b = a}
    in: [a, x]
    when: 5
    retries: many
`, want: []string{
			"in.yaml:2:10: warning: workflow input x is not used by any step",
			"in.yaml:7:9: step s: in must map this step's inputs to a workflow input or <step>.<output>, like {a: x, b: add.out}, not a list",
			"in.yaml:8:11: step s: when must be a string, not an integer",
			"in.yaml:9:14: step s: retries must be a whole number >= 0, got \"many\"",
		}},
		{name: "include cycle", file: "cycle_a.yaml", want: []string{
			"testdata/broken/cycle_b.yaml:6:11: step a: include cycle: testdata/broken/cycle_a.yaml -> testdata/broken/cycle_b.yaml -> testdata/broken/cycle_a.yaml",
		}},
		{name: "includes failing", file: "includes.yaml", want: []string{
			"testdata/broken/includes.yaml:8:11: step missing: task file tasks/nope.yaml not found (looked for testdata/broken/tasks/nope.yaml)",
			"testdata/broken/includes.yaml:14:46: script_file scripts/nope.py not found (looked for testdata/broken/scripts/nope.py)",
			"testdata/broken/tasks/bad.yaml:2:37: input a: unknown format nubmer for type number; did you mean number? (known formats of number: json, number)",
			"testdata/broken/tasks/bad.yaml:5:1: unknown key scirpt in task; did you mean script?",
		}},
		{name: "yaml truncated", file: "trunc.yaml", src: "script: \"b = 1\noutputs: [{name: b", want: []string{
			"trunc.yaml:2:1: YAML syntax error: found unexpected end of stream (a quoted string or a [ or { is not closed; the file may be truncated)",
		}},
		{name: "empty json object", file: "empty.json", src: "{}", want: []string{
			"empty.json:1:1: python task has no script: add script (inline code) or script_file (a file next to the spec)",
		}},
		{name: "syntax error in an included file", file: "includes2.yaml", want: []string{
			"testdata/broken/tasks/syntax.yaml:2:1: YAML syntax error: did not find expected ',' or '}' (a [ or { opened here is not closed)",
		}},
		{name: "visualization input and step key typo", file: "vis.json", src: `{"mode": "workflow",
 "inputs": [{"name": "x"}],
 "steps": [
  {"name": "a", "task": {"inputs": [{"name": "a"}], "outputs": [{"name": "b"}], "script": "b = a"}, "whne": "true"},
  {"name": 4, "visualization": true, "task": {"inputs": [{"name": "x"}]}}
 ],
 "connections": [
  {"name": "x", "input_step": "a", "input": "a"},
  {"output_step": "a", "output": "b", "input_step": 4, "input": "y"}
 ]}
`, want: []string{
			"vis.json:4:101: unknown key whne in step a; did you mean when?",
			"vis.json:9:65: connection #2: step 4 has no input y (its inputs: x)",
		}},
		{name: "alias bomb", file: "bomb.yaml", src: `script: b = 1
extensions:
  a: &a [x, x, x, x, x, x, x, x, x, x]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
`, want: []string{
			"bomb.yaml:3:22: YAML aliases expand to too many values; use fewer nested aliases",
		}},
		{name: "script on a workflow", file: "wfscript.yaml", src: "mode: workflow\nscript: x = 1\nsteps: [{name: s, task: {script: b = 1}}]\n", want: []string{
			"wfscript.yaml:2:1: warning: script is ignored: a workflow runs its steps",
		}},
		{name: "alias to itself", file: "self.yaml", src: "script: b = 1\nextensions: &e [*e]\n", want: []string{
			"self.yaml:2:17: alias *e refers to the value that contains it",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Formats: formats.Default()}
			var ds Diagnostics
			if tc.src == "" {
				_, ds = LoadFile(filepath.Join("testdata", "broken", tc.file), opts)
			} else {
				_, ds = Parse(tc.file, []byte(tc.src), opts)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\ngot:\n%s", diff, goList(got))
			}
		})
	}
}

// TestOptions checks that Options.Modes replaces the known modes and that
// without a registry types and formats pass unchecked.
func TestOptions(t *testing.T) {
	src := []byte("mode: julia\ninputs: [{name: a, type: mystery, format: x}]\n")
	_, ds := Parse("o.yaml", src, Options{Modes: []string{"julia"}})
	if len(ds) != 0 {
		t.Errorf("custom mode, no registry: unexpected diagnostics:\n%v", ds)
	}
	_, ds = Parse("o.yaml", src, Options{})
	want := []string{"o.yaml:1:7: unknown mode julia (known modes: docker, python, r, shell, workflow)"}
	var got []string
	for _, d := range ds {
		got = append(got, d.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default modes (-want +got):\n%s", diff)
	}
}

func goList(ss []string) string {
	out := ""
	for _, s := range ss {
		out += "\t" + strconv.Quote(s) + ",\n"
	}
	return out
}
