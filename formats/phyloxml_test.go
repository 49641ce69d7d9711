package formats

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const samplePhyloXML = `<?xml version="1.0" encoding="UTF-8"?>
<phyloxml xmlns="http://www.phyloxml.org">
  <phylogeny rooted="true">
    <name>example</name>
    <clade>
      <clade branch_length="0.06">
        <name>A</name>
        <confidence type="bootstrap">89</confidence>
        <clade>
          <branch_length>0.102</branch_length>
          <taxonomy><scientific_name>Homo sapiens</scientific_name></taxonomy>
        </clade>
        <clade branch_length="0.23"><name>C</name></clade>
      </clade>
      <clade branch_length="0.4"><name>D &amp; E</name></clade>
    </clade>
  </phylogeny>
  <phylogeny rooted="false"><clade><clade><name>x</name></clade></clade></phylogeny>
</phyloxml>
`

func TestParsePhyloXML(t *testing.T) {
	trees, err := ParsePhyloXMLAll([]byte(samplePhyloXML))
	if err != nil {
		t.Fatal(err)
	}
	want := []*Tree{
		{Name: "example", Rooting: Rooted, Root: tnode("",
			tlength(tnode("A", tleafL("Homo sapiens", 0.102), tleafL("C", 0.23)), 0.06),
			tleafL("D & E", 0.4))},
		{Rooting: Unrooted, Root: tnode("", tleaf("x"))},
	}
	if diff := cmp.Diff(want, trees); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPhyloXMLRoundTrip(t *testing.T) {
	tree, err := ParseNewick(treeGraphTestdata(t, "tree/anolis.phy"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := WritePhyloXML(tree)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePhyloXML(out)
	if err != nil {
		t.Fatal(err)
	}
	tree.Rooting = Rooted
	if diff := cmp.Diff(tree, back); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	small, err := ParseNewick([]byte("((a:1,'b <&>':2)in:0.5,c);"))
	if err != nil {
		t.Fatal(err)
	}
	small.Name = "small"
	out, err = WritePhyloXML(small)
	if err != nil {
		t.Fatal(err)
	}
	treeGraphGolden(t, "tree/small.phyloxml", out)
	if _, err := WritePhyloXML(&Tree{Root: tleaf("bad\x01name")}); err == nil {
		t.Error("a control character in a name was written")
	}
}

func TestParsePhyloXMLErrors(t *testing.T) {
	tests := []struct {
		name, in  string
		line, col int
		msg       string
	}{
		{"truncated", "<phyloxml>\n<phylogeny><clade><name>a</name>", 2, 33, "unexpected EOF"},
		{"mismatched tags", "<phyloxml><phylogeny><clade></phylogeny></phyloxml>", 1, 41, "element <clade> closed by </phylogeny>"},
		{"bad length", "<phyloxml><phylogeny><clade branch_length=\"x\"/></phylogeny></phyloxml>", 1, 48, `bad branch length "x"`},
		{"two roots", "<phyloxml><phylogeny><clade/><clade/></phylogeny></phyloxml>", 1, 38, "second root"},
		{"wrong root", "<graphml/>", 1, 11, "expected a <phyloxml> root element"},
		{"no phylogeny", "<phyloxml></phyloxml>", 1, 22, "no <phylogeny>"},
		{"markup inside a name (found by FuzzPhyloXML)", "<phyloxml><phylogeny><name><branch_length>0</branch_length>0", 1, 61, "unexpected EOF"},
		{"empty phylogeny", "<phyloxml><phylogeny></phylogeny></phyloxml>", 1, 34, "has no <clade>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePhyloXML([]byte(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SyntaxError", err)
			}
			if se.Line != tt.line || se.Col != tt.col || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("err = %v; want line %d, column %d, message containing %q", err, tt.line, tt.col, tt.msg)
			}
		})
	}
}

func TestCheckTreeStore(t *testing.T) {
	doc := []byte{5, 0, 0, 0, 0}
	// {"_id": 0} as BSON: int32 element "_id".
	idDoc := []byte{14, 0, 0, 0, 0x10, '_', 'i', 'd', 0, 0, 0, 0, 0, 0}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"one empty document", doc, ""},
		{"two documents", append(append([]byte{}, idDoc...), doc...), ""},
		{"empty", nil, "no BSON document"},
		{"short tail", append(append([]byte{}, doc...), 1, 0), "document 2 at byte 5: 2 trailing bytes"},
		{"length too small", []byte{4, 0, 0, 0, 0}, "length 4 is less than 5"},
		{"negative length", []byte{0xff, 0xff, 0xff, 0xff, 0}, "length -1 is less than 5"},
		{"past the end", []byte{9, 0, 0, 0, 0}, "runs past the end"},
		{"no terminator", []byte{5, 0, 0, 0, 1}, "does not end in 0x00"},
	}
	for _, tt := range tests {
		err := CheckTreeStore(tt.in)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}
