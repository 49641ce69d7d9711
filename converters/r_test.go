package converters

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
	"github.com/truss-dev/truss/modes"
	rmode "github.com/truss-dev/truss/modes/r"
)

// rEnv returns an Env with a real R mode (closed at the end of the test).
func rEnv(t *testing.T) Env {
	t.Helper()
	testenv.Tool(t, "Rscript")
	m, err := rmode.New(rmode.Options{Slots: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return Env{WorkDir: t.TempDir(), Modes: modes.Set{"r": m}}
}

// rStep runs an R script with one input and one output of the given formats.
func rStep(t *testing.T, env Env, script string, in formats.Value, outType, outFormat string) formats.Value {
	t.Helper()
	reg := formats.Default()
	fin, _ := reg.Lookup(in.Type, in.Format)
	fout, ok := reg.Lookup(outType, outFormat)
	if !ok {
		t.Fatalf("unknown format %s/%s", outType, outFormat)
	}
	m, _ := env.Modes.Get("r")
	outs, err := m.Run(context.Background(), modes.Request{
		Task:    &modes.Task{Name: "step", Script: script, Inputs: []modes.Port{PortOf("input", fin)}, Outputs: []modes.Port{PortOf("output", fout)}},
		Inputs:  map[string]formats.Value{"input": in},
		WorkDir: env.WorkDir,
	})
	if err != nil {
		t.Fatal(err)
	}
	v := outs["output"]
	v.Type, v.Format = outType, outFormat
	return v
}

// convert runs the cheapest path from v's format to format to.
func convert(t *testing.T, reg *Registry, env Env, v formats.Value, to string) formats.Value {
	t.Helper()
	path, err := reg.Path(v.Type, v.Format, to)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ConvertPath(context.Background(), env, path, v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func dropLines(s string, n int) string {
	for range n {
		_, s, _ = strings.Cut(s, "\n")
	}
	return s
}

// Girder Worker's r_test: c(1,2,3) serialized, with its first 3 lines
// dropped, and the same after appending c(4,5) in an R step.
func TestRSerializedRoundTrip(t *testing.T) {
	env := rEnv(t)
	reg := Default(formats.Default())
	obj := rStep(t, env, "output <- c(1, 2, 3)", formats.Value{Type: "number", Format: "number", Data: int64(0)}, "r", "object")
	ser := convert(t, reg, env, obj, "serialized")
	if got := dropLines(string(ser.Bytes), 3); got != "131840\n14\n3\n1\n2\n3\n" {
		t.Errorf("serialized c(1,2,3) = %q", got)
	}
	back := convert(t, reg, env, ser, "object")
	more := rStep(t, env, "output <- c(input, c(4, 5))", back, "r", "object")
	ser2 := convert(t, reg, env, more, "serialized")
	if got := dropLines(string(ser2.Bytes), 3); got != "131840\n14\n5\n1\n2\n3\n4\n5\n" {
		t.Errorf("serialized c(1,2,3,4,5) = %q", got)
	}
}

// A table copied through an R step (rows → csv → r.dataframe → step →
// csv → rows) comes back equal.
func TestRDataframeRoundTrip(t *testing.T) {
	env := rEnv(t)
	reg := Default(formats.Default())
	rows, err := formats.ParseCSV([]byte("name,count,score,flag\nalpha,1,0.5,yes\nbeta,22,-3.25,no\n\"g, h\",3,1e-05,\"it's\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	in := formats.Value{Type: "table", Format: "rows", Data: rows}
	df := convert(t, reg, env, in, "r.dataframe")
	copied := rStep(t, env, "output <- input", df, "table", "r.dataframe")
	back := convert(t, reg, env, copied, "rows")
	if diff := cmp.Diff(formats.Normalize(rows), formats.Normalize(back.Data)); diff != "" {
		t.Errorf("table changed through R (-want +got):\n%s", diff)
	}
}

func TestRCSVToDataframeRules(t *testing.T) {
	env := rEnv(t)
	reg := Default(formats.Default())
	df := convert(t, reg, env, formats.Value{Type: "table", Format: "csv", Bytes: []byte(",a,b c\nx,1,2\ny,3,4\n")}, "r.dataframe")
	got := rStep(t, env, `output <- paste(c(names(input), rownames(input)), collapse = "|")`, df, "string", "string")
	if got.Data != "X|a|b c|x|y" {
		t.Errorf("names|rownames = %v, want X|a|b c|x|y", got.Data)
	}
	dup := convert(t, reg, env, formats.Value{Type: "table", Format: "csv", Bytes: []byte("k,v\nx,1\nx,2\n")}, "r.dataframe")
	got = rStep(t, env, `output <- paste(rownames(input), collapse = "|")`, dup, "string", "string")
	if got.Data != "1|2" {
		t.Errorf("rownames with a duplicated first column = %v, want 1|2", got.Data)
	}
	csv := convert(t, reg, env, df, "csv")
	if want := "\"X\",\"a\",\"b c\"\n\"x\",1,2\n\"y\",3,4"; string(csv.Bytes) != want {
		t.Errorf("csv = %q, want %q", csv.Bytes, want)
	}
}

func anolis(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../examples/phylo/anolis.phy")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// A newick tree copied through an R step comes back identical.
func TestRNewickRoundTrip(t *testing.T) {
	env := rEnv(t)
	reg := Default(formats.Default())
	for _, nwk := range []string{anolis(t), "((a:1,b:2.5)ab:0.5,c:3);", "((a,b),c);"} {
		tree := convert(t, reg, env, formats.Value{Type: "tree", Format: "newick", Bytes: []byte(nwk)}, "r.apetree")
		copied := rStep(t, env, "stopifnot(inherits(input, 'phylo'))\noutput <- input", tree, "tree", "r.apetree")
		back := convert(t, reg, env, copied, "newick")
		if string(back.Bytes) != nwk {
			t.Errorf("newick changed through R:\n got %s\nwant %s", back.Bytes, nwk)
		}
	}
}

// A nexus tree round-trips, ignoring ape's timestamp comment.
func TestRNexusRoundTrip(t *testing.T) {
	env := rEnv(t)
	reg := Default(formats.Default())
	tree := convert(t, reg, env, formats.Value{Type: "tree", Format: "newick", Bytes: []byte(anolis(t))}, "r.apetree")
	nex, err := Convert(context.Background(), env, mustGet(t, reg, "tree", "r.apetree", "nexus"), tree)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Convert(context.Background(), env, mustGet(t, reg, "tree", "nexus", "r.apetree"), nex)
	if err != nil {
		t.Fatal(err)
	}
	nex2, err := Convert(context.Background(), env, mustGet(t, reg, "tree", "r.apetree", "nexus"), back)
	if err != nil {
		t.Fatal(err)
	}
	strip := func(b []byte) string {
		lines := strings.Split(string(b), "\n")
		if len(lines) < 2 || lines[0] != "#NEXUS" || !strings.Contains(lines[1], "APE") {
			t.Fatalf("not ape's nexus: %q", b)
		}
		return strings.Join(lines[2:], "\n")
	}
	if a, b := strip(nex.Bytes), strip(nex2.Bytes); a != b {
		t.Errorf("nexus changed through R:\n%s\nvs\n%s", a, b)
	}
}

// r.apetree → nested (through R's exact newick) equals Go's newick → nested.
func TestRApeToNestedAndTreeStore(t *testing.T) {
	env := rEnv(t)
	reg := Default(formats.Default())
	for _, nwk := range []string{anolis(t), "((a:0.1,b:0.2)x:0.3,c:1e-20)root;", "((a,b),c);"} {
		src := formats.Value{Type: "tree", Format: "newick", Bytes: []byte(nwk)}
		want, err := Convert(context.Background(), env, mustGet(t, reg, "tree", "newick", "nested"), src)
		if err != nil {
			t.Fatal(err)
		}
		ape := convert(t, reg, env, src, "r.apetree")
		got, err := Convert(context.Background(), env, mustGet(t, reg, "tree", "r.apetree", "nested"), ape)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(formats.Normalize(want.Data), formats.Normalize(got.Data)); diff != "" {
			t.Errorf("%s: nested differs (-go +via R):\n%s", nwk, diff)
		}
		ts, err := Convert(context.Background(), env, mustGet(t, reg, "tree", "r.apetree", "treestore"), ape)
		if err != nil {
			t.Fatal(err)
		}
		if err := formats.CheckTreeStore(ts.Bytes); err != nil {
			t.Error(err)
		}
	}
}

func TestTreeStoreLayout(t *testing.T) {
	out, err := newickToTreeStore(formats.Value{Bytes: []byte("((a:1,b:2):0.5,c:3);")})
	if err != nil {
		t.Fatal(err)
	}
	want, err := formats.EncodeBSON([]any{
		formats.BSONDoc{{Key: "_id", Value: int64(0)}, {Key: "name", Value: "a"}, {Key: "branch_length", Value: 1.0}},
		formats.BSONDoc{{Key: "_id", Value: int64(1)}, {Key: "name", Value: "b"}, {Key: "branch_length", Value: 2.0}},
		formats.BSONDoc{{Key: "_id", Value: int64(2)}, {Key: "name", Value: "c"}, {Key: "branch_length", Value: 3.0}},
		formats.BSONDoc{{Key: "_id", Value: int64(3)}, {Key: "clades", Value: []any{int64(4), int64(2)}}},
		formats.BSONDoc{{Key: "_id", Value: int64(4)}, {Key: "clades", Value: []any{int64(0), int64(1)}}, {Key: "branch_length", Value: 0.5}},
		formats.BSONDoc{{Key: "_id", Value: int64(5)}, {Key: "rooted", Value: true}, {Key: "clades", Value: []any{int64(3)}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(out.Bytes, want) {
		t.Errorf("treestore layout differs")
	}
}

// Go-native paths win; R is used where the target is an R object.
func TestRPathsPreferGo(t *testing.T) {
	reg := Default(formats.Default())
	for _, c := range []struct{ typ, from, to, want string }{
		{"tree", "newick", "nested", "newick>nested"},
		{"table", "rows", "r.dataframe", "rows>csv>r.dataframe"},
		{"tree", "nexus", "r.apetree", "nexus>r.apetree"},
		{"tree", "nested", "r.apetree", "nested>newick>r.apetree"},
		{"table", "r.dataframe", "rows", "r.dataframe>csv>rows"},
	} {
		path, err := reg.Path(c.typ, c.from, c.to)
		if err != nil {
			t.Fatal(err)
		}
		got := c.from
		for _, p := range path {
			got += ">" + p.To
		}
		if got != c.want {
			t.Errorf("%s/%s→%s: path %s, want %s", c.typ, c.from, c.to, got, c.want)
		}
	}
}

func TestRConverterWithoutRuntime(t *testing.T) {
	reg := Default(formats.Default())
	_, err := Convert(context.Background(), Env{}, mustGet(t, reg, "tree", "r.apetree", "nested"), formats.Value{Bytes: []byte{1}})
	if err == nil || !strings.Contains(err.Error(), `mode "r" is not available`) {
		t.Errorf("err = %v", err)
	}
}

// BenchmarkRCSVToDataframe converts RadiomicsData.csv (454 columns) to an
// R data.frame through the converter (Go → R files → read.csv → serialize →
// Go), and reports read.csv alone, timed inside the same R session, as
// readcsv-ms.
//
//	go test ./converters -run '^$' -bench RCSVToDataframe -benchtime 10x
func BenchmarkRCSVToDataframe(b *testing.B) {
	testenv.Tool(b, "Rscript")
	m, err := rmode.New(rmode.Options{Slots: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	env := Env{WorkDir: b.TempDir(), Modes: modes.Set{"r": m}}
	csv, err := os.ReadFile("testdata/RadiomicsData.csv")
	if err != nil {
		b.Fatal(err)
	}
	reg := Default(formats.Default())
	conv := mustGetB(b, reg, "table", "csv", "r.dataframe")
	in := formats.Value{Type: "table", Format: "csv", Bytes: csv}
	// The same read.csv, timed in R, for comparison.
	timing := &modes.Task{Name: "time read.csv", Script: `t0 <- proc.time()[["elapsed"]]
d <- utils::read.csv(text = input, check.names = FALSE)
ms <- 1000 * (proc.time()[["elapsed"]] - t0)
stopifnot(ncol(d) == 454)`,
		Inputs:  []modes.Port{{Name: "input", Type: "table", Format: "csv", Rep: formats.RepText}},
		Outputs: []modes.Port{{Name: "ms", Type: "number", Format: "number", Rep: formats.RepData}}}
	var readcsv float64
	b.ResetTimer()
	for range b.N {
		if _, err := Convert(context.Background(), env, conv, in); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		outs, err := m.Run(context.Background(), modes.Request{Task: timing, Inputs: map[string]formats.Value{"input": in}, WorkDir: env.WorkDir})
		if err != nil {
			b.Fatal(err)
		}
		ms, _ := outs["ms"].Data.(float64)
		if i, ok := outs["ms"].Data.(int64); ok {
			ms = float64(i)
		}
		readcsv += ms
		b.StartTimer()
	}
	b.ReportMetric(readcsv/float64(b.N), "readcsv-ms")
}

func mustGetB(b *testing.B, r *Registry, typ, from, to string) *Converter {
	b.Helper()
	c, ok := r.Get(typ, from, to)
	if !ok {
		b.Fatalf("no converter %s/%s->%s", typ, from, to)
	}
	return c
}
