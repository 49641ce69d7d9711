package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
	"github.com/truss-dev/truss/modes"
	rmode "github.com/truss-dev/truss/modes/r"
)

func TestRSerializedValidator(t *testing.T) {
	r := Default(formats.Default())
	for _, c := range []struct {
		text, want string
	}{
		{"A\n2\n262658\n131840\n14\n3\n1\n2\n3\n", ""},
		{"A\n3\n262658\n197888\n5\nUTF-8\n14\n1\n1\n", ""},
		{"X\n\x00\x00", `start with the line "A"`},
		{"A\n9\n1\n1\n1\n", "version"},
		{"A\n2\nx\n1\n1\n", "not a version number"},
	} {
		err := r.Validate(context.Background(), converters.Env{}, formats.Value{Type: "r", Format: "serialized", Bytes: []byte(c.text)})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.text, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: err = %v, want %q", c.text, err, c.want)
		}
	}
}

// The R object validators run in a real R mode: the bytes come from R steps.
func TestRObjectValidators(t *testing.T) {
	testenv.Tool(t, "Rscript")
	m, err := rmode.New(rmode.Options{Slots: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	env := converters.Env{WorkDir: t.TempDir(), Modes: modes.Set{"r": m}}
	reg := formats.Default()
	r := Default(reg)
	object := func(script string) []byte {
		f, _ := reg.Lookup("r", "object")
		outs, err := m.Run(context.Background(), modes.Request{
			Task:    &modes.Task{Name: "make", Script: script, Outputs: []modes.Port{converters.PortOf("output", f)}},
			WorkDir: env.WorkDir,
		})
		if err != nil {
			t.Fatal(err)
		}
		return outs["output"].Bytes
	}
	df := object("output <- data.frame(a = 1:2)")
	tree := object("output <- ape::read.tree(text = '(a,b);')")
	num := object("output <- 5")
	for _, c := range []struct {
		typ, format string
		b           []byte
		want        string
	}{
		{"r", "object", num, ""},
		{"table", "r.dataframe", df, ""},
		{"table", "r.dataframe", num, "expected an R data.frame, got numeric"},
		{"tree", "r.apetree", tree, ""},
		{"tree", "r.apetree", df, `expected an ape "phylo" tree, got data.frame`},
		{"r", "object", []byte("not R"), "unknown input format"},
	} {
		err := r.Validate(context.Background(), env, formats.Value{Type: c.typ, Format: c.format, Bytes: c.b})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s/%s: %v", c.typ, c.format, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s/%s: err = %v, want %q", c.typ, c.format, err, c.want)
		}
	}
}
