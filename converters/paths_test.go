package converters

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/truss-dev/truss/formats"
)

// synthetic builds a registry over formats a..e of one type with the edges
// given as "from>to:runtime[:lossy]".
func synthetic(t *testing.T, edges ...string) *Registry {
	t.Helper()
	reg := formats.New()
	for _, f := range []string{"a", "b", "c", "d", "e"} {
		reg.Register(formats.Format{Type: "t", Name: f, Rep: formats.RepText})
	}
	r := New(reg)
	noop := func(_ context.Context, _ Env, v formats.Value) (formats.Value, error) { return v, nil }
	for _, e := range edges {
		parts := strings.Split(e, ":")
		from, to, _ := strings.Cut(parts[0], ">")
		c := Converter{Type: "t", From: from, To: to, Run: noop}
		if parts[1] != "go" {
			c.Runtime = parts[1]
		}
		c.Lossy = len(parts) > 2
		if err := r.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func pathString(p []*Converter) string {
	if len(p) == 0 {
		return ""
	}
	s := p[0].From
	for _, c := range p {
		s += ">" + c.To
	}
	return s
}

func TestPathWeightsAndTieBreak(t *testing.T) {
	cases := []struct {
		name  string
		edges []string
		want  string
	}{
		// One python hop (10) loses to three Go hops (3).
		{"go beats python", []string{"a>e:python", "a>b:go", "b>c:go", "c>e:go"}, "a>b>c>e"},
		// One R hop (20) loses to a python hop plus a Go hop (11).
		{"python beats r", []string{"a>e:r", "a>b:python", "b>e:go"}, "a>b>e"},
		// A lossy Go hop (101) loses to a python detour (10+1).
		{"lossy avoided", []string{"a>e:go:lossy", "a>c:python", "c>e:go"}, "a>c>e"},
		// Equal cost: the path whose format names sort first wins.
		{"tie break", []string{"a>c:go", "c>e:go", "a>b:go", "b>e:go", "a>d:go", "d>e:go"}, "a>b>e"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := synthetic(t, tc.edges...)
			p, err := r.Path("t", "a", "e")
			if err != nil {
				t.Fatal(err)
			}
			if got := pathString(p); got != tc.want {
				t.Errorf("path %s, want %s", got, tc.want)
			}
			again, _ := r.Path("t", "a", "e")
			if len(again) > 0 && &again[0] != &p[0] {
				t.Error("second lookup was not served from the memo")
			}
		})
	}
}

func TestPathErrors(t *testing.T) {
	r := synthetic(t, "a>b:go", "b>c:go")
	_, err := r.Path("t", "a", "e")
	var np *NoPathError
	if !errors.As(err, &np) || err.Error() != "no conversion path from t/a to t/e; t/a converts to: b, c" {
		t.Errorf("err = %v", err)
	}
	if _, err := r.Path("t", "a", "zz"); err == nil || !strings.Contains(err.Error(), "unknown format t/zz (known t formats: a, b, c, d, e)") {
		t.Errorf("unknown format: %v", err)
	}
	if p, err := r.Path("t", "c", "c"); err != nil || p != nil {
		t.Errorf("same format: %v, %v", p, err)
	}
	// Adding an edge resets the memo.
	if err := r.Add(Converter{Type: "t", From: "c", To: "e", Run: func(_ context.Context, _ Env, v formats.Value) (formats.Value, error) { return v, nil }}); err != nil {
		t.Fatal(err)
	}
	if p, err := r.Path("t", "a", "e"); err != nil || pathString(p) != "a>b>c>e" {
		t.Errorf("after adding c>e: %s, %v", pathString(p), err)
	}
}

// TestGirderWorkerPaths checks the shortest paths the reference lists, on
// the real registry (Go-native edges now win where Girder Worker needed R
// or python).
func TestGirderWorkerPaths(t *testing.T) {
	r := Default(formats.Default())
	for _, tc := range []struct{ typ, from, to, want string }{
		{"string", "text", "json", "text>string>json"},
		{"table", "csv", "tsv", "csv>rows>tsv"},
		{"table", "objectlist.bson", "rows", "objectlist.bson>objectlist>rows"},
		{"tree", "newick", "nested", "newick>nested"},
		{"image", "png.base64", "pil", "png.base64>png>pil"},
		{"directory", "zip", "tgz", "zip>path>tgz"},
		{"python", "object", "pickle.base64", "object>pickle>pickle.base64"},
	} {
		p, err := r.Path(tc.typ, tc.from, tc.to)
		if err != nil {
			t.Errorf("%s %s→%s: %v", tc.typ, tc.from, tc.to, err)
			continue
		}
		if got := pathString(p); got != tc.want {
			t.Errorf("%s %s→%s: %s, want %s", tc.typ, tc.from, tc.to, got, tc.want)
		}
	}
}
