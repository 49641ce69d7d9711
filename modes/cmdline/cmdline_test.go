package cmdline

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
)

func data(x any) formats.Value    { return formats.Value{Data: x} }
func text(s string) formats.Value { return formats.Value{Bytes: []byte(s)} }

func testSpec() *Spec {
	return &Spec{
		Step: "s", Mode: "docker",
		Inputs: []Port{
			{Port: modes.Port{Name: "a"}},
			{Port: modes.Port{Name: "b", Arg: "--bee"}},
			{Port: modes.Port{Name: "c"}},
			{Port: modes.Port{Name: "f", Target: "filepath"}},
			{Port: modes.Port{Name: "empty"}},
			{Port: modes.Port{Name: "s"}},
		},
		Outputs: []Port{
			{Port: modes.Port{Name: "out", Target: "filepath"}},
			{Port: modes.Port{Name: "named", Target: "filepath", Path: "sub/result.csv"}},
			{Port: modes.Port{Name: "abs", Target: "filepath", Path: DataVolume + "/x.txt"}},
			{Port: modes.Port{Name: "_stdout"}},
		},
	}
}

// TestExpand covers every rule of reference 5.2, docker-style (the data
// directory mounted at DataVolume) and shell-style (mounted where it is).
func TestExpand(t *testing.T) {
	dock := Dirs{DataDir: "/tmp/job", MountDir: DataVolume}
	shell := Dirs{DataDir: "/tmp/job"}
	in := map[string]formats.Value{
		"a": data(true), "b": data(false), "c": data(1.5),
		"f":     {Path: "/tmp/job/in/table.csv"},
		"empty": text(""), "s": text("false"),
	}
	cases := []struct {
		name string
		args []string
		in   map[string]formats.Value
		d    Dirs
		want []string
	}{
		{"plain args kept", []string{"--foo", "bar"}, in, dock, []string{"--foo", "bar"}},
		{"input str True", []string{"$input{a}"}, in, dock, []string{"True"}},
		{"input str False", []string{"$input{b}"}, in, dock, []string{"False"}},
		{"input str float", []string{"$input{c}"}, in, dock, []string{"1.5"}},
		{"input None", []string{"$input{a}"}, map[string]formats.Value{"a": data(nil)}, dock, []string{"None"}},
		{"input text", []string{"--s=$input{s}"}, in, dock, []string{"--s=false"}},
		{"input all occurrences", []string{"$input{c}-$input{c}"}, in, dock, []string{"1.5-1.5"}},
		{"filepath input to container path", []string{"$input{f}"}, in, dock, []string{DataVolume + "/in/table.csv"}},
		{"filepath input in shell is the host path", []string{"$input{f}"}, in, shell, []string{"/tmp/job/in/table.csv"}},
		{"filepath outside data dir kept", []string{"$input{f}"}, map[string]formats.Value{"f": {Path: "/elsewhere/t.csv"}}, dock, []string{"/elsewhere/t.csv"}},
		{"_tempdir docker", []string{"$input{_tempdir}/x"}, in, dock, []string{DataVolume + "/x"}},
		{"_tempdir shell", []string{"$input{_tempdir}/x"}, in, shell, []string{"/tmp/job/x"}},
		{"tempdir", []string{"$tempdir/x.txt"}, in, dock, []string{DataVolume + "/x.txt"}},
		{"empty via input kept", []string{"--baz", "$input{empty}"}, in, dock, []string{"--baz", ""}},
		{"empty literal kept", []string{"--baz", ""}, in, dock, []string{"--baz", ""}},
		{"flag true uses id", []string{"$flag{a}"}, in, dock, []string{"a"}},
		{"flag true uses arg", []string{"$flag{b}"}, map[string]formats.Value{"b": data(true)}, dock, []string{"--bee"}},
		{"flag false dropped", []string{"x", "$flag{b}", "y"}, in, dock, []string{"x", "y"}},
		{"flag unknown dropped", []string{"$flag{nope}"}, in, dock, []string{}},
		{"flag unbound dropped", []string{"$flag{a}"}, map[string]formats.Value{}, dock, []string{}},
		{"flag partial leaves prefix", []string{"--x=$flag{b}"}, in, dock, []string{"--x="}},
		{"flag string 'false' is true", []string{"$flag{s}"}, in, dock, []string{"s"}},
		{"flag empty text false", []string{"$flag{empty}"}, in, dock, []string{}},
		{"flag two tokens both false", []string{"$flag{b}$flag{nope}"}, in, dock, []string{}},
		{"output default path", []string{"$output{out}"}, in, dock, []string{DataVolume + "/out"}},
		{"output path field", []string{"--o=$output{named}"}, in, dock, []string{"--o=" + DataVolume + "/sub/result.csv"}},
		{"output absolute under volume", []string{"$output{abs}"}, in, dock, []string{DataVolume + "/x.txt"}},
		{"output shell", []string{"$output{named}"}, in, shell, []string{"/tmp/job/sub/result.csv"}},
		{"input value holding a flag token is expanded (quirk)", []string{"$input{s}"}, map[string]formats.Value{"s": text("$flag{a}")}, dock, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := testSpec().Expand("container_args", c.args, c.in, c.d)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Expand(%q) (-want +got):\n%s", c.args, diff)
			}
		})
	}
}

func TestExpandErrors(t *testing.T) {
	in := map[string]formats.Value{"a": data(1)}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"$input{nope}"}, []string{"Could not expand token: $input{nope}.", "inputs are: a, b, c, f, empty, s", `container_args[0] "$input{nope}"`}},
		{[]string{"x", "$output{nope}"}, []string{"Could not expand token: $output{nope}.", "outputs are: out, named, abs, _stdout", "container_args[1]"}},
		{[]string{"$input{b}"}, []string{`input "b" has no value`}},
	}
	for _, c := range cases {
		_, err := testSpec().Expand("container_args", c.args, in, Dirs{DataDir: "/d"})
		if err == nil {
			t.Fatalf("Expand(%q): no error", c.args)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Expand(%q) = %v, want it to mention %q", c.args, err, w)
			}
		}
	}
}

func TestPyStrAndTruthy(t *testing.T) {
	tenth, fifth := 0.1, 0.2 // variables: constant 0.1+0.2 is exactly 0.3
	strs := []struct {
		x    any
		want string
	}{
		{true, "True"}, {false, "False"}, {nil, "None"}, {int64(3), "3"},
		{1.5, "1.5"}, {4.0, "4.0"}, {tenth + fifth, "0.3"}, {1e16, "1e+16"}, {1e-5, "1e-05"},
		{math.Inf(1), "inf"}, {"héllo", "héllo"},
		{[]any{int64(1), "a", true, nil, tenth + fifth}, "[1, 'a', True, None, 0.30000000000000004]"},
		{map[string]any{"b": int64(2), "a": "it's"}, `{'a': "it's", 'b': 2}`},
	}
	for _, c := range strs {
		if got := PyStr(c.x); got != c.want {
			t.Errorf("PyStr(%#v) = %q, want %q", c.x, got, c.want)
		}
	}
	truthy := []struct {
		v    formats.Value
		want bool
	}{
		{data(false), false}, {data(nil), false}, {data(int64(0)), false}, {data(0.0), false},
		{data(""), false}, {data([]any{}), false}, {data(map[string]any{}), false}, {text(""), false},
		{data(true), true}, {data("false"), true}, {text("false"), true}, {data(int64(-1)), true},
		{data([]any{nil}), true}, {formats.Value{Path: "/x"}, true},
	}
	for _, c := range truthy {
		if got := Truthy(c.v); got != c.want {
			t.Errorf("Truthy(%v %#v) = %v, want %v", c.v, c.v.Data, got, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	task := &modes.Task{Name: "s", Mode: "shell",
		Inputs: []modes.Port{{Name: "a"}},
		Outputs: []modes.Port{
			{Name: "_stdout"}, {Name: "out", Target: "filepath"},
			{Name: "mem", Type: "string", Format: "text"},
		},
		Options: map[string]any{
			"command":        []any{"sh", "-c", "cat $input{a} > $output{out}; $input{zz}"},
			"container_args": []any{"$flag{nope}", "$output{missing}", "$volume{v}", "$tempdir/x", "$input{_tempdir}"},
		},
	}
	errs := Check(task)
	var msgs []string
	var warnings int
	for _, e := range errs {
		msgs = append(msgs, e.Error())
		if IsWarning(e) {
			warnings++
		}
	}
	all := strings.Join(msgs, "\n")
	for _, w := range []string{
		`output "mem": Shell outputs must be either "_stdout", "_stderr", or filepath-target outputs.`,
		`command[2] "cat $input{a} > $output{out}; $input{zz}": Could not expand token: $input{zz}. The task's inputs are: a`,
		"$flag{nope} names no input",
		"Could not expand token: $output{missing}. The task's outputs are: _stdout, out, mem",
		"unknown token $volume{v}: shell tasks take $input{}, $flag{}, $output{} and $tempdir",
	} {
		if !strings.Contains(all, w) {
			t.Errorf("Check misses %q; got:\n%s", w, all)
		}
	}
	if len(errs) != 5 || warnings != 1 {
		t.Errorf("Check gave %d findings (%d warnings), want 5 (1):\n%s", len(errs), warnings, all)
	}
	// docker handles $volume{} itself.
	task.Mode = "docker"
	for _, e := range Check(task, "volume", "pipe") {
		if strings.Contains(e.Error(), "$volume") {
			t.Errorf("docker Check with volume kind: %v", e)
		}
	}

	// Output path rules.
	s := &Spec{Step: "s", Mode: "docker", Outputs: []Port{
		{Port: modes.Port{Name: "abs", Target: "filepath", Path: "/etc/passwd"}},
		{Port: modes.Port{Name: "up", Target: "filepath", Path: "../x"}},
		{Port: modes.Port{Name: "ok", Target: "filepath", Path: DataVolume + "/a/b"}},
		{Port: modes.Port{Name: "_stderr"}},
	}}
	got := s.Check()
	if len(got) != 2 {
		t.Fatalf("Check = %v, want 2 errors", got)
	}
	if want := `output "abs": Docker filepath output paths must either start with "/mnt/girder_worker/data/" or be specified relative to that directory.`; got[0].Error() != want {
		t.Errorf("absolute path: %v\nwant %s", got[0], want)
	}
	if !strings.Contains(got[1].Error(), "leaves the data directory") {
		t.Errorf("climbing path: %v", got[1])
	}

	// A shell task needs something to run.
	errs = Check(&modes.Task{Name: "s", Mode: "shell"})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "nothing to run") {
		t.Errorf("empty shell task: %v", errs)
	}
}

func TestMaterialize(t *testing.T) {
	dir := t.TempDir()
	s := &Spec{Inputs: []Port{
		{Port: modes.Port{Name: "t", Target: "filepath"}},
		{Port: modes.Port{Name: "d", Target: "filepath"}},
		{Port: modes.Port{Name: "p", Target: "filepath"}},
		{Port: modes.Port{Name: "m"}},
	}}
	in := map[string]formats.Value{
		"t": {Type: "table", Format: "csv", Bytes: []byte("a,b\n1,2\n")},
		"d": {Type: "number", Format: "number", Data: 1.5},
		"p": {Path: "/some/where"},
		"m": {Bytes: []byte("mem")},
	}
	out, err := s.Materialize(in, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := out["t"]; got.Path != filepath.Join(dir, "t") || got.Bytes != nil || got.Format != "csv" {
		t.Errorf("t = %#v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "t")); string(b) != "a,b\n1,2\n" {
		t.Errorf("t file = %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "d")); string(b) != "1.5" {
		t.Errorf("d file = %q", b)
	}
	if out["p"].Path != "/some/where" || string(out["m"].Bytes) != "mem" {
		t.Errorf("p, m changed: %#v %#v", out["p"], out["m"])
	}
	if in["t"].Path != "" {
		t.Error("Materialize changed its argument")
	}
}

func TestCollect(t *testing.T) {
	dir := t.TempDir()
	s := &Spec{Step: "st", Mode: "shell", Outputs: []Port{
		{Port: modes.Port{Name: "_stdout", Type: "string", Format: "text", Rep: formats.RepText}},
		{Port: modes.Port{Name: "_stderr"}},
		{Port: modes.Port{Name: "res", Type: "table", Format: "tsv", Target: "filepath", Path: "sub/r.tsv"}},
	}}
	var log bytes.Buffer
	k, err := s.NewSinks(&log, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	k.Stdout.Write([]byte("out1\n"))
	k.Stderr.Write([]byte("err1\n"))
	k.Stdout.Write([]byte("out2\n"))
	k.Close()
	if log.String() != "out1\nerr1\nout2\n" {
		t.Errorf("log = %q", log.String())
	}
	if k.StderrTail() != "err1\n" {
		t.Errorf("tail = %q", k.StderrTail())
	}
	_, err = s.Collect(k, dir)
	var se *modes.StepError
	want := `step st: output "res": Output filepath ` + filepath.Join(dir, "sub/r.tsv") + ` does not exist.`
	if !errors.As(err, &se) || err.Error() != want {
		t.Fatalf("Collect = %v, want %s", err, want)
	}
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub/r.tsv"), []byte("a\tb\n"), 0o644)
	res, err := s.Collect(k, dir)
	if err != nil {
		t.Fatal(err)
	}
	if v := res["_stdout"]; string(v.Bytes) != "out1\nout2\n" || v.Format != "text" {
		t.Errorf("_stdout = %#v", v)
	}
	if v := res["_stderr"]; v.Data != "err1\n" {
		t.Errorf("_stderr = %#v", v)
	}
	if v := res["res"]; v.Path != filepath.Join(dir, "sub/r.tsv") || v.Format != "tsv" {
		t.Errorf("res = %#v", v)
	}
	// A typed text format stays a file too: converters and validators read
	// it when they need the content; the next command step gets the path.
	s.Outputs[2].Rep = formats.RepText
	if res, _ = s.Collect(k, dir); res["res"].Path != filepath.Join(dir, "sub/r.tsv") || res["res"].Bytes != nil {
		t.Errorf("text res = %#v", res["res"])
	}
}

func TestStdCapAndFileTarget(t *testing.T) {
	dir := t.TempDir()
	s := &Spec{Step: "st", Outputs: []Port{
		{Port: modes.Port{Name: "_stdout"}},
		{Port: modes.Port{Name: "_stderr", Target: "filepath", Path: "err.txt"}},
	}}
	k, err := s.NewSinks(nil, dir, 8)
	if err != nil {
		t.Fatal(err)
	}
	k.Stdout.Write([]byte("12345"))
	k.Stdout.Write([]byte("67890"))
	big := strings.Repeat("e", 5000)
	k.Stderr.Write([]byte(big))
	k.Close()
	if len(k.StderrTail()) != tailSize {
		t.Errorf("tail holds %d bytes, want %d", len(k.StderrTail()), tailSize)
	}
	_, err = s.Collect(k, dir)
	if err == nil || !strings.Contains(err.Error(), "wrote more than") || !strings.Contains(err.Error(), "target: filepath") {
		t.Fatalf("over cap: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "err.txt")); string(b) != big {
		t.Errorf("_stderr file holds %d bytes", len(b))
	}
}

func TestStringList(t *testing.T) {
	got, err := StringList("entrypoint", "sh -c", true)
	if err != nil || len(got) != 1 || got[0] != "sh -c" {
		t.Errorf("string entrypoint: %q %v", got, err)
	}
	got, err = StringList("container_args", []any{"a", int64(3), 1.5}, false)
	if err != nil || strings.Join(got, " ") != "a 3 1.5" {
		t.Errorf("numbers: %q %v", got, err)
	}
	if _, err := StringList("container_args", "a", false); err == nil {
		t.Error("string container_args accepted")
	}
	if _, err := StringList("container_args", []any{map[string]any{}}, false); err == nil {
		t.Error("map arg accepted")
	}
}
