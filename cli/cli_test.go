package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/truss-dev/truss/internal/testenv"
)

const fixtures = "../../shared/fixtures/girder_worker"

type outcome struct {
	stdout, stderr string
	code           int
}

// truss runs the command line in-process with its own config and store.
func truss(t *testing.T, args ...string) outcome {
	t.Helper()
	return trussIn(t, "", args...)
}

func trussIn(t *testing.T, stdin string, args ...string) outcome {
	t.Helper()
	py := testenv.Python(t)
	env := map[string]string{
		"TRUSS_CONFIG":            filepath.Join(t.TempDir(), "config.yaml"),
		"TRUSS_PYTHON_EXECUTABLE": py,
		"HOME":                    os.Getenv("HOME"),
	}
	if args[0] == "run" && !slices.Contains(args, "--store") {
		args = append(args, "--store", filepath.Join(t.TempDir(), "store"))
	}
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errOut, false, func(k string) string { return env[k] })
	o := outcome{stdout: out.String(), stderr: errOut.String(), code: code}
	for _, bad := range []string{"goroutine ", "panic:", "runtime error"} {
		if strings.Contains(o.stderr, bad) {
			t.Errorf("stderr shows a Go failure (%q):\n%s", bad, o.stderr)
		}
	}
	return o
}

// runJSON is `truss run … --json`, decoded.
type runJSON struct {
	RunID   string `json:"run_id"`
	Status  string `json:"status"`
	Outputs map[string]struct {
		Type     string          `json:"type"`
		Format   string          `json:"format"`
		Data     json.RawMessage `json:"data"`
		Encoding string          `json:"encoding"`
		Path     string          `json:"path"`
	} `json:"outputs"`
	Nodes          map[string]int                  `json:"nodes"`
	Error          *struct{ Node, Message string } `json:"error"`
	Visualizations []map[string]any                `json:"visualizations"`
}

func runDoc(t *testing.T, args ...string) runJSON {
	t.Helper()
	o := truss(t, append(append([]string{"run"}, args...), "--json")...)
	var doc runJSON
	if err := json.Unmarshal([]byte(o.stdout), &doc); err != nil {
		t.Fatalf("exit %d, stdout is not JSON: %v\nstdout:\n%s\nstderr:\n%s", o.code, err, o.stdout, o.stderr)
	}
	if doc.Status != "succeeded" || o.code != 0 {
		t.Fatalf("run %v: status %s, exit %d\nstderr:\n%s", args, doc.Status, o.code, o.stderr)
	}
	return doc
}

func dataString(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("data %s is not a string: %v", raw, err)
	}
	return s
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestQuickstart(t *testing.T) {
	doc := runDoc(t, "../examples/quickstart/workflow.yaml", "-i", "x=10", "-i", "y=3")
	if got := string(doc.Outputs["product"].Data); got != "30" {
		t.Errorf("product = %s, want 30", got)
	}
	summary := dataString(t, doc.Outputs["summary"].Data)
	wantSummary := "station,temp_c,scaled_rain\r\nAberdeen,7.5,7.333\r\nBergen,6.1,28.0\r\nCork,10.2,13.0\r\nDijon,12.8,0.0\r\nEssen,9.4,3.667\r\n"
	if diff := cmp.Diff(wantSummary, summary); diff != "" {
		t.Errorf("summary csv (-want +got):\n%s", diff)
	}
	if got := dataString(t, doc.Outputs["report"].Data); got != "x*y = 30; the wettest station, scaled, is Bergen\n" {
		t.Errorf("report = %q", got)
	}
	if doc.Nodes["failed"] != 0 || doc.Nodes["succeeded"] < 8 {
		t.Errorf("nodes = %v", doc.Nodes)
	}
}

func TestQuickstartTextOutput(t *testing.T) {
	o := truss(t, "run", "../examples/quickstart/workflow.yaml", "-i", "x=10", "-i", "y=3")
	if o.code != 0 {
		t.Fatalf("exit %d\n%s", o.code, o.stderr)
	}
	for _, want := range []string{"product: 30", "report: x*y = 30", "summary:\n  station,temp_c,scaled_rain"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, o.stdout)
		}
	}
	for _, want := range []string{"summarize running", "summarize succeeded", "succeeded in"} {
		if !strings.Contains(o.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, o.stderr)
		}
	}
}

func TestPlanShowsInsertedNodes(t *testing.T) {
	o := truss(t, "plan", "../examples/quickstart/workflow.yaml")
	if o.code != 0 {
		t.Fatalf("exit %d\n%s", o.code, o.stderr)
	}
	for _, want := range []string{
		"+ input:readings~csv>rows", "convert table/csv → rows (go)",
		"+ summarize.summary~rows>csv", "+ input:y~validate", "constraint value > 0",
	} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, o.stdout)
		}
	}
	for _, format := range []string{"dot", "mermaid", "json"} {
		o := truss(t, "plan", "--format", format, "../examples/quickstart/workflow.yaml")
		if o.code != 0 || !strings.Contains(o.stdout, "input:readings~csv>rows") {
			t.Errorf("plan --format %s: exit %d\n%s%s", format, o.code, o.stdout, o.stderr)
		}
		if format == "json" && !json.Valid([]byte(o.stdout)) {
			t.Errorf("plan --format json is not JSON:\n%s", o.stdout)
		}
	}
}

func TestFluExample(t *testing.T) {
	doc := runDoc(t, "../examples/flu/workflow.yaml")
	top := dataString(t, doc.Outputs["top"].Data)
	lines := strings.Split(strings.TrimRight(top, "\r\n"), "\r\n")
	if len(lines) != 11 || lines[0] != "region,peak,week,weeks_reported" {
		t.Errorf("top has %d lines, header %q:\n%s", len(lines), lines[0], top)
	}
	if got := dataString(t, doc.Outputs["national"].Data); !strings.HasPrefix(got, "United States peaked at ") {
		t.Errorf("national = %q", got)
	}
}

func TestGirderWorkerWorkflows(t *testing.T) {
	xJSON := writeFile(t, "inputs.yaml", "x: {format: json, data: \"1\"}\ny: {format: number, data: 2}\n")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"default x", []string{"../examples/girder_worker/workflow_test.json", "-i", "y=2"}, "52"},
		{"x as json text", []string{"../examples/girder_worker/workflow_test.json", "--inputs", xJSON}, "16"},
		{"multi input", []string{"../examples/girder_worker/multi_input.json", "-i", "x=2", "-i", "y=3"}, "13"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := runDoc(t, tc.args...)
			r := doc.Outputs["result"]
			if string(r.Data) != tc.want || r.Format != "number" {
				t.Errorf("result = %s (%s), want %s (number)", r.Data, r.Format, tc.want)
			}
		})
	}
}

func TestGirderWorkerVisualization(t *testing.T) {
	doc := runDoc(t, "../examples/girder_worker/visualization.json", "-i", "x=2", "-i", "y=3")
	want := []map[string]any{{
		"mode": "preset", "type": float64(4),
		"inputs": map[string]any{"x": map[string]any{"format": "number", "type": "number", "data": float64(13)}},
	}}
	if diff := cmp.Diff(want, doc.Visualizations); diff != "" {
		t.Errorf("visualizations (-want +got):\n%s", diff)
	}
}

// Girder Worker's append_tables task gets its two tables in any format of
// type table; both arrive as rows.
func TestAppendTablesAcrossFormats(t *testing.T) {
	want := `{"fields":["aa","bb"],"rows":[{"aa":1,"bb":2},{"aa":3,"bb":4}]}`
	a := writeFile(t, "a.csv", "aa,bb\n1,2\n")
	b := writeFile(t, "b.tsv", "aa\tbb\n3\t4\n")
	inputs := writeFile(t, "in.yaml", `
a: {format: rows.json, data: '{"fields": ["aa", "bb"], "rows": [{"aa": 1, "bb": 2}]}'}
b: {format: rows, data: {fields: [aa, bb], rows: [{aa: 3, bb: 4}]}}
`)
	for _, args := range [][]string{
		{"-i", "a=@" + a, "-i", "b=@" + b},
		{"--inputs", inputs},
	} {
		doc := runDoc(t, append([]string{"../examples/girder_worker/append_tables.json", "-o", "c=rows.json"}, args...)...)
		if got := dataString(t, doc.Outputs["c"].Data); got != want {
			t.Errorf("%v: c = %s\nwant %s", args, got, want)
		}
	}
	// Output to a file in the format its extension names.
	out := filepath.Join(t.TempDir(), "c.tsv")
	o := truss(t, "run", "../examples/girder_worker/append_tables.json", "-i", "a=@"+a, "-i", "b=@"+b, "-o", "c=@"+out)
	if o.code != 0 {
		t.Fatalf("exit %d\n%s", o.code, o.stderr)
	}
	got, _ := os.ReadFile(out)
	if string(got) != "aa\tbb\r\n1\t2\r\n3\t4\r\n" {
		t.Errorf("c.tsv = %q", got)
	}
}

func TestConvertFixtures(t *testing.T) {
	for _, tc := range []struct {
		file         string
		fields, rows int
	}{{"flu.csv", 162, 552}, {"test.csv", 32, 14}, {"RadiomicsData.csv", 454, 99}} {
		t.Run(tc.file, func(t *testing.T) {
			o := truss(t, "convert", "--type", "table", "--from", "csv", "--to", "rows.json", filepath.Join(fixtures, tc.file))
			if o.code != 0 {
				t.Fatalf("exit %d\n%s", o.code, o.stderr)
			}
			var doc struct {
				Fields []string         `json:"fields"`
				Rows   []map[string]any `json:"rows"`
			}
			if err := json.Unmarshal([]byte(o.stdout), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Fields) != tc.fields || len(doc.Rows) != tc.rows {
				t.Errorf("%d fields, %d rows; want %d, %d", len(doc.Fields), len(doc.Rows), tc.fields, tc.rows)
			}
		})
	}
	// stdin → stdout
	o := trussIn(t, "a,b\n1,2.5\n", "convert", "--type", "table", "--from", "csv", "--to", "rows.json")
	if o.stdout != `{"fields":["a","b"],"rows":[{"a":1,"b":2.5}]}` {
		t.Errorf("stdin conversion = %q (%s)", o.stdout, o.stderr)
	}
}

func TestBadInputs(t *testing.T) {
	quick := "../examples/quickstart/workflow.yaml"
	inputs := writeFile(t, "in.yaml", "x: {format: number, data: 1}\ny: {format: number, data: 2}\nreadings: {format: xls, data: 'a,b'}\n")
	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"value fails validation", []string{"run", quick, "-i", "x=abc", "-i", "y=3"}, 1,
			[]string{"input:x~validate", "input x is not valid number/number", `"abc"`}},
		{"constraint", []string{"run", quick, "-i", "x=1", "-i", "y=0"}, 1,
			[]string{"input y = 0 violates constraint \"value > 0\""}},
		{"missing required input", []string{"run", quick, "-i", "x=1"}, 2,
			[]string{"missing required input(s) y", "-i y=VALUE (number/number)"}},
		{"unknown input", []string{"run", quick, "-i", "xx=1", "-i", "y=1"}, 2,
			[]string{`no input "xx"; did you mean "x"?`}},
		{"unknown format", []string{"run", quick, "--inputs", inputs}, 2,
			[]string{"input readings: unknown format table/xls", "known table formats:"}},
		{"unknown output format", []string{"run", quick, "-i", "x=1", "-i", "y=1", "-o", "summary=xlsx"}, 2,
			[]string{"unknown format table/xlsx"}},
		{"missing file", []string{"run", quick, "-i", "x=1", "-i", "y=1", "-i", "readings=@nope.csv"}, 2,
			[]string{"nope.csv: no such file or directory"}},
		{"script raises", []string{"run", "testdata/raises.yaml", "-i", "a=5"}, 1,
			[]string{"raises", "ValueError: bad input 5", "line 3"}},
		{"output not set", []string{"run", "testdata/no_output.yaml", "-i", "a=5"}, 1,
			[]string{"forgets", `output "result" was not set`, "reslut"}},
		{"broken spec", []string{"run", "testdata/broken.yaml", "-i", "x=1"}, 2,
			[]string{"testdata/broken.yaml:3:", "numbr", "testdata/broken.yaml:12:", "scirpt"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := truss(t, tc.args...)
			if o.code != tc.code {
				t.Errorf("exit %d, want %d\nstderr:\n%s", o.code, tc.code, o.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(o.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, o.stderr)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	o := truss(t, "validate", "../examples/quickstart/workflow.yaml")
	if o.code != 0 || !strings.Contains(o.stdout, "ok") {
		t.Errorf("validate clean spec: exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
	o = truss(t, "validate", "testdata/broken.yaml")
	lines := strings.Split(strings.TrimSpace(o.stderr), "\n")
	if o.code != 2 || len(lines) < 4 {
		t.Fatalf("exit %d, want 2 with every problem listed:\n%s", o.code, o.stderr)
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "testdata/broken.yaml:") {
			t.Errorf("diagnostic without position: %q", l)
		}
	}
}

func TestFormatsCommand(t *testing.T) {
	o := truss(t, "formats", "--type", "table")
	for _, want := range []string{"csv", "rows.json", "csv → rows", "validator: go"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("formats lacks %q:\n%s", want, o.stdout)
		}
	}
	o = truss(t, "formats", "--format", "dot")
	if o.code != 0 || !strings.Contains(o.stdout, "digraph") {
		t.Errorf("formats --format dot: exit %d\n%s", o.code, o.stderr)
	}
}

func TestConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"TRUSS_CONFIG": filepath.Join(dir, "c.yaml")}
	run := func(args ...string) string {
		var out, errOut bytes.Buffer
		if code := Main(args, nil, &out, &errOut, false, func(k string) string { return env[k] }); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	if got := run("config", "get", "python.executable"); got != "python3\n" {
		t.Errorf("default = %q", got)
	}
	run("config", "set", "python.executable", "/usr/bin/python3")
	if got := run("config", "get", "python.executable"); got != "/usr/bin/python3\n" {
		t.Errorf("after set = %q", got)
	}
	env["TRUSS_PYTHON_EXECUTABLE"] = "/opt/py"
	if got := run("config", "get", "python.executable"); got != "/opt/py\n" {
		t.Errorf("environment should win, got %q", got)
	}
	delete(env, "TRUSS_PYTHON_EXECUTABLE")
	run("config", "rm", "python.executable")
	want := "docker.allowed_host_paths = \ndocker.cache_timeout = 3600\ndocker.exclude_images = \ndocker.gc = false\npython.executable = python3\nr.executable = Rscript\n"
	if got := run("config", "list"); got != want {
		t.Errorf("list after rm = %q", got)
	}
}

// TestTerminalProgressFinishes drives the live progress bars (what a
// terminal gets) through a run that succeeds and one that fails: both must
// return, print their result, and leave no bar waiting.
func TestTerminalProgressFinishes(t *testing.T) {
	py := testenv.Python(t)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"run", "../examples/quickstart/workflow.yaml", "-i", "x=10", "-i", "y=3"}, 0},
		{[]string{"run", "testdata/raises.yaml", "-i", "a=5"}, 1},
	} {
		env := map[string]string{"TRUSS_CONFIG": filepath.Join(t.TempDir(), "c.yaml"), "TRUSS_PYTHON_EXECUTABLE": py}
		args := append(tc.args, "--store", filepath.Join(t.TempDir(), "s"))
		done := make(chan outcome, 1)
		go func() {
			var out, errOut bytes.Buffer
			code := Main(args, nil, &out, &errOut, true, func(k string) string { return env[k] })
			done <- outcome{out.String(), errOut.String(), code}
		}()
		select {
		case o := <-done:
			if o.code != tc.code {
				t.Errorf("%v: exit %d, want %d\n%s", tc.args, o.code, tc.code, o.stderr)
			}
			if !strings.Contains(o.stderr, "nodes") {
				t.Errorf("%v: no progress bar drawn:\n%s", tc.args, o.stderr)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%v: truss did not return: the progress display is stuck", tc.args)
		}
	}
}

// TestValidateReportsEveryProblemOnce: a cycle does not hide the other
// problems, and an unknown format is reported where it is declared only.
func TestValidateReportsEveryProblemOnce(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"testdata/cycle.yaml", []string{
			"testdata/cycle.yaml:5:5: cycle among steps: a → b → a",
			`testdata/cycle.yaml:13:12: when "inputs.y >" does not compile`,
			"testdata/cycle.yaml:14:40: step c input v wants type table but workflow input x is of type number",
		}},
		{"testdata/broken.yaml", []string{
			"testdata/broken.yaml:3:37: input x: unknown format numbr for type number; did you mean number?",
			"testdata/broken.yaml:5:53: output out: from: unknown step doubl in doubl.b; did you mean double.b?",
			"testdata/broken.yaml:12:7: unknown key scirpt in task; did you mean script?",
		}},
	} {
		o := truss(t, "validate", tc.file)
		lines := strings.Split(strings.TrimSpace(o.stderr), "\n")
		if o.code != 2 || len(lines) != len(tc.want)+1 {
			t.Errorf("%s: exit %d, %d lines, want 2 and %d diagnostics + summary:\n%s", tc.file, o.code, len(lines), len(tc.want), o.stderr)
			continue
		}
		for i, w := range tc.want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("%s line %d:\n got %s\nwant %s", tc.file, i+1, lines[i], w)
			}
		}
	}
}

// TestResumeHint: a failed step suggests `truss resume`; a rejected input
// does not (resuming would bind the same value again).
func TestResumeHint(t *testing.T) {
	o := truss(t, "run", "testdata/raises.yaml", "-i", "a=5")
	if !strings.Contains(o.stderr, "to continue once fixed: truss resume ") {
		t.Errorf("no resume hint after a failed step:\n%s", o.stderr)
	}
	o = truss(t, "run", "../examples/quickstart/workflow.yaml", "-i", "x=abc", "-i", "y=3")
	if o.code != 1 || strings.Contains(o.stderr, "truss resume") {
		t.Errorf("exit %d; a rejected input should not suggest resume:\n%s", o.code, o.stderr)
	}
}
