package formats

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sampleNexus = `#NEXUS
[written by hand, with [nested] comments]
Begin Taxa;
	Dimensions ntax=3;
	TaxLabels Homo_sapiens 'Pan troglodytes' Gorilla;
End;
BEGIN CHARACTERS; [a block we skip, with ; inside 'a quoted ; word']
	DIMENSIONS NCHAR=2;
	MATRIX
		Homo_sapiens AC
		'Pan troglodytes' AG
	;
END;
begin trees;
	translate
		1 Homo_sapiens,
		2 'Pan troglodytes',
		3 Gorilla
	;
	tree best = [&R] ((1:0.1,2:0.2)95:0.05,3:0.3);
	TREE * 'second tree' = [&U] [&lnP=-12.5] (1,2,3);
	UTREE third=(3,(2,1));
ENDBLOCK;
`

func TestParseNexus(t *testing.T) {
	trees, err := ParseNexusAll([]byte(sampleNexus))
	if err != nil {
		t.Fatal(err)
	}
	want := []*Tree{
		{Name: "best", Rooting: Rooted, Root: tnode("",
			tlength(tnode("95", tleafL("Homo_sapiens", 0.1), tleafL("Pan troglodytes", 0.2)), 0.05),
			tleafL("Gorilla", 0.3))},
		{Name: "second tree", Rooting: Unrooted, Root: tnode("", tleaf("Homo_sapiens"), tleaf("Pan troglodytes"), tleaf("Gorilla"))},
		{Name: "third", Root: tnode("", tleaf("Gorilla"), tnode("", tleaf("Pan troglodytes"), tleaf("Homo_sapiens")))},
	}
	if diff := cmp.Diff(want, trees); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	first, err := ParseNexus([]byte(sampleNexus))
	if err != nil || first.Name != "best" {
		t.Errorf("ParseNexus = %v, %v; want the first tree", first, err)
	}
}

func TestParseNexusWithoutTranslate(t *testing.T) {
	tree, err := ParseNexus([]byte("#nexus\nbegin trees;\ntree t1 = (a:1,(b,c));\nend;"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Tree{Name: "t1", Root: tnode("", tleafL("a", 1), tnode("", tleaf("b"), tleaf("c")))}
	if diff := cmp.Diff(want, tree); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseNexusErrors(t *testing.T) {
	tests := []struct {
		name, in  string
		line, col int
		msg       string
	}{
		{"no header", "BEGIN TREES; TREE a = (a,b); END;", 1, 1, "expected #NEXUS"},
		{"no trees", "#NEXUS\nBEGIN TAXA; DIMENSIONS NTAX=1; END;\n", 3, 1, "no TREE command"},
		{"bad newick", "#NEXUS\nBEGIN TREES;\n  TREE a = ((a,b);\nEND;", 3, 18, "expected ',' or ')'"},
		{"missing equals", "#NEXUS\nBEGIN TREES;\nTREE a (a,b);\nEND;", 3, 8, "expected '='"},
		{"tree without semicolon", "#NEXUS\nBEGIN TREES;\nTREE a = (a,b)", 3, 15, "not ended by ';'"},
		{"bad translate", "#NEXUS\nBEGIN TREES;\nTRANSLATE 1 a 2 b;\nTREE a = (1,2);\nEND;", 3, 15, "expected ',' or ';'"},
		{"unterminated command", "#NEXUS\nBEGIN DATA;\nDIMENSIONS NCHAR=1", 3, 1, "never ended by ';'"},
		{"not a block", "#NEXUS\nTREE a = (a,b);", 2, 1, "expected BEGIN"},
		{"unterminated comment", "#NEXUS\n[oops\nBEGIN TREES;", 2, 1, "unterminated comment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseNexus([]byte(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SyntaxError", err)
			}
			if se.Format != "nexus" || se.Line != tt.line || se.Col != tt.col || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("err = %v; want nexus line %d, column %d, message containing %q", err, tt.line, tt.col, tt.msg)
			}
		})
	}
}

func TestWriteNexus(t *testing.T) {
	tree, err := ParseNewick([]byte("((ahli:0,'allo gus':1)in:2,rubribarbus:3);"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := WriteNexus(tree)
	if err != nil {
		t.Fatal(err)
	}
	treeGraphGolden(t, "tree/small.nex", out)

	back, err := ParseNexus(out)
	if err != nil {
		t.Fatal(err)
	}
	want := &Tree{Name: "UNTITLED", Rooting: Rooted, Root: tree.Root}
	if diff := cmp.Diff(want, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestNexusRoundTrip(t *testing.T) {
	trees, err := ParseNexusAll([]byte(sampleNexus))
	if err != nil {
		t.Fatal(err)
	}
	out, err := WriteNexus(trees...)
	if err != nil {
		t.Fatal(err)
	}
	treeGraphGolden(t, "tree/sample-rewritten.nex", out)
	back, err := ParseNexusAll(out)
	if err != nil {
		t.Fatal(err)
	}
	// The third tree had no rooting; ape's rule calls a binary root rooted.
	trees[2].Rooting = Rooted
	if diff := cmp.Diff(trees, back); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	anolis, err := ParseNewick(treeGraphTestdata(t, "tree/anolis.phy"))
	if err != nil {
		t.Fatal(err)
	}
	nex, err := WriteNexus(anolis)
	if err != nil {
		t.Fatal(err)
	}
	treeGraphGolden(t, "tree/anolis.nex", nex)
	again, err := ParseNexus(nex)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(anolis.Root, again.Root); diff != "" {
		t.Errorf("anolis through nexus (-want +got):\n%s", diff)
	}
}

func TestNexusQuote(t *testing.T) {
	for in, want := range map[string]string{
		"Homo_sapiens": "Homo_sapiens", "a b": "'a b'", "it's": "'it''s'", "": "''", "x-y": "'x-y'",
	} {
		if got := nexusQuote(in); got != want {
			t.Errorf("nexusQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
