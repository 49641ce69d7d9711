package formats

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tleaf and tnode build expected trees tersely.
func tleaf(name string) *TreeNode { return &TreeNode{Name: name} }

func tleafL(name string, length float64) *TreeNode {
	return &TreeNode{Name: name, Length: length, HasLength: true}
}

func tnode(name string, kids ...*TreeNode) *TreeNode { return &TreeNode{Name: name, Children: kids} }

func tlength(n *TreeNode, length float64) *TreeNode {
	n.Length, n.HasLength = length, true
	return n
}

func TestParseNewick(t *testing.T) {
	tests := []struct {
		name, in string
		want     *TreeNode
	}{
		{"girder worker round trip", "((ahli:0,allogus:1):2,rubribarbus:3);",
			tnode("", tlength(tnode("", tleafL("ahli", 0), tleafL("allogus", 1)), 2), tleafL("rubribarbus", 3))},
		{"no lengths", "(a,b,(c,d));", tnode("", tleaf("a"), tleaf("b"), tnode("", tleaf("c"), tleaf("d")))},
		{"internal and root labels", "((a,b)ab,c)root;", tnode("root", tnode("ab", tleaf("a"), tleaf("b")), tleaf("c"))},
		{"root length", "(a,b):0.5;", tlength(tnode("", tleaf("a"), tleaf("b")), 0.5)},
		{"quoted labels", "('it''s','a b':1,'(x)');", tnode("", tleaf("it's"), tleafL("a b", 1), tleaf("(x)"))},
		{"empty quoted label", "('',a);", tnode("", tleaf(""), tleaf("a"))},
		{"underscores kept", "(Geospiza_fortis,b);", tnode("", tleaf("Geospiza_fortis"), tleaf("b"))},
		{"comments anywhere", "[head](a[&x=1]:1[c],[c]b:[c]2)[c]r[c];[tail]",
			tnode("r", tleafL("a", 1), tleafL("b", 2))},
		{"nested comment", "(a[x[y]z],b);", tnode("", tleaf("a"), tleaf("b"))},
		{"whitespace and newlines", " (\n a : 1 ,\r\n\tb\n)\n x ; \n", tnode("x", tleafL("a", 1), tleaf("b"))},
		{"float forms", "(a:1,b:-0.5,c:.5,d:5.,e:1e-5,f:1E+3,g:+2,h:0.1308887296);",
			tnode("", tleafL("a", 1), tleafL("b", -0.5), tleafL("c", 0.5), tleafL("d", 5), tleafL("e", 1e-5),
				tleafL("f", 1000), tleafL("g", 2), tleafL("h", 0.1308887296))},
		{"missing semicolon", "(a,b)", tnode("", tleaf("a"), tleaf("b"))},
		{"empty leaves", "(,(,));", tnode("", tleaf(""), tnode("", tleaf(""), tleaf("")))},
		{"single leaf", "a;", tleaf("a")},
		{"single child", "((a));", tnode("", tnode("", tleaf("a")))},
		{"unicode", "(é:1,'日本 語');", tnode("", tleafL("é", 1), tleaf("日本 語"))},
		{"byte order mark", "\uFEFF(a,b);", tnode("", tleaf("a"), tleaf("b"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNewick([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&Tree{Root: tt.want}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseNewickAll(t *testing.T) {
	trees, err := ParseNewickAll([]byte("(a,b);\n(c,d);\n(e,f)"))
	if err != nil {
		t.Fatal(err)
	}
	if len(trees) != 3 {
		t.Fatalf("got %d trees, want 3", len(trees))
	}
	if got := trees[2].Leaves()[1].Name; got != "f" {
		t.Errorf("third tree's second leaf = %q, want f", got)
	}
	first, err := ParseNewick([]byte("(a,b);(c,d);"))
	if err != nil || first.Leaves()[0].Name != "a" {
		t.Errorf("ParseNewick = %v, %v; want the first tree", first, err)
	}
}

func TestParseNewickErrors(t *testing.T) {
	tests := []struct {
		name, in  string
		line, col int
		msg       string
	}{
		{"unclosed paren", "((a,b),c;", 1, 9, "expected ',' or ')'"},
		{"unclosed at end", "((a,b),\nc", 2, 2, "the '(' at line 1, column 1 is never closed"},
		{"extra close paren", "(a,b));", 1, 6, "unbalanced ')'"},
		{"bad length", "(a:1,\n  b:x1);", 2, 5, `bad branch length "x1"`},
		{"NaN length", "(a:NaN,b);", 1, 4, "expected a finite number"},
		{"huge length", "(a:1e999,b);", 1, 4, "out of range"},
		{"missing length", "(a:,b);", 1, 4, "expected a branch length"},
		{"garbage after tree", "(a,b) c d;", 1, 9, "after the tree; expected ';'"},
		{"space in label", "(a b,c);", 1, 4, "expected ',' or ')'"},
		{"unterminated quote", "('abc,d);", 1, 2, "unterminated quoted label"},
		{"unterminated comment", "(a,b)[oops;", 1, 6, "unterminated comment"},
		{"empty", "  \n ", 2, 2, "no tree"},
		{"only semicolon", ";", 1, 1, "expected a tree"},
		{"empty second tree", "(a,b);;", 1, 7, "expected a tree"},
		{"stray close bracket", "(a]b);", 1, 3, "expected ',' or ')'"},
		{"invalid utf-8", "(a,\xff);", 1, 4, "invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseNewick([]byte(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SyntaxError", err)
			}
			if se.Line != tt.line || se.Col != tt.col || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("err = %v; want line %d, column %d, message containing %q", err, tt.line, tt.col, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "newick: line ") {
				t.Errorf("err = %q; want it to start with the format and line", err)
			}
		})
	}
}

func TestWriteNewick(t *testing.T) {
	tests := []struct{ in, want string }{
		{"((ahli:0,allogus:1):2,rubribarbus:3);", "((ahli:0,allogus:1):2,rubribarbus:3);"},
		{"( a:0.1308887296 , b:1e-5 ) ;", "(a:0.1308887296,b:1e-05);"},
		{"('it''s','a b','x,y',plain_name,'a:b');", "('it''s','a b','x,y',plain_name,'a:b');"},
		{"((a,b)ab:1,c)root:2;", "((a,b)ab:1,c)root:2;"},
		{"(,);", "(,);"},
		{"'';", "'';"},
		{"(a:-0,b:100000000);", "(a:-0,b:1e+08);"},
	}
	for _, tt := range tests {
		tree, err := ParseNewick([]byte(tt.in))
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		got, err := WriteNewick(tree)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("WriteNewick(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	all, err := WriteNewickAll([]*Tree{{Root: tleaf("a")}, {Root: tnode("", tleaf("b"), tleaf("c"))}})
	if err != nil || string(all) != "a;\n(b,c);\n" {
		t.Errorf("WriteNewickAll = %q, %v", all, err)
	}
	if _, err := WriteNewick(&Tree{}); err == nil {
		t.Error("WriteNewick of an empty tree: no error")
	}
}

func TestNewickFixtures(t *testing.T) {
	anolis := treeGraphTestdata(t, "tree/anolis.phy")
	tree, err := ParseNewick(anolis)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tree.Leaves()); n != 100 {
		t.Errorf("anolis has %d leaves, want 100", n)
	}
	out, err := WriteNewick(tree)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(anolis)); string(out) != want {
		t.Errorf("anolis does not write back as it was read:\n%s", cmp.Diff(want, string(out)))
	}

	geo, err := ParseNewick(treeGraphTestdata(t, "tree/geospiza_from_otl.phy"))
	if err != nil {
		t.Fatal(err)
	}
	want := tnode("",
		tnode("Geospiza", tleaf("Geospiza_fuliginosa"), tleaf("Geospiza_magnirostris"), tleaf("Geospiza_conirostris"),
			tleaf("Geospiza_difficilis"), tleaf("Geospiza_fortis"), tleaf("Geospiza_scandens")),
		tnode("Protostomia", tleaf("Euspira_pallida"), tleaf("Euspira_fusca")))
	if diff := cmp.Diff(&Tree{Root: want}, geo); diff != "" {
		t.Errorf("geospiza (-want +got):\n%s", diff)
	}
}

// newickCaterpillar is a ladder tree n levels deep: (((l0,l1),l2),l3)…
func newickCaterpillar(n int) string {
	var b strings.Builder
	b.WriteString(strings.Repeat("(", n))
	b.WriteString("l0:1")
	for i := 1; i <= n; i++ {
		b.WriteString(",l" + strconv.Itoa(i) + ":0.5):0.25")
	}
	b.WriteString(";")
	return b.String()
}

func TestNewickDeepCaterpillar(t *testing.T) {
	text := newickCaterpillar(100_000)
	tree, err := ParseNewick([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	tree.Walk(func(_ *TreeNode, d int) bool { depth = max(depth, d); return true })
	if depth != 100_000 {
		t.Errorf("depth = %d, want 100000", depth)
	}
	out, err := WriteNewick(tree)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != text {
		t.Error("the newickCaterpillar does not write back as it was read")
	}
	nested, err := TreeToNested(tree)
	if err != nil {
		t.Fatal(err)
	}
	back, err := NestedToTree(nested)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := WriteNewick(back); string(out) != text {
		t.Error("the newickCaterpillar does not survive nested")
	}
	if _, err := WriteNexus(tree); err != nil {
		t.Error(err)
	}
	if _, err := WritePhyloXML(tree); err != nil {
		t.Error(err)
	}
}

// balancedNewick is a balanced binary tree with n leaves and lengths.
func balancedNewick(n int) []byte {
	var b strings.Builder
	var build func(lo, hi int)
	build = func(lo, hi int) {
		if hi-lo == 1 {
			b.WriteString("taxon_" + strconv.Itoa(lo) + ":0.0123456789")
			return
		}
		mid := (lo + hi) / 2
		b.WriteByte('(')
		build(lo, mid)
		b.WriteByte(',')
		build(mid, hi)
		b.WriteString("):0.5")
	}
	build(0, n)
	b.WriteByte(';')
	return []byte(b.String())
}

func BenchmarkNewickParse100kLeaves(b *testing.B) {
	text := balancedNewick(100_000)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := ParseNewick(text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewickWrite100kLeaves(b *testing.B) {
	tree, err := ParseNewick(balancedNewick(100_000))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := WriteNewick(tree); err != nil {
			b.Fatal(err)
		}
	}
}
