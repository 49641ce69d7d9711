package formats

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func addTreeSeeds(f *testing.F) {
	for _, name := range []string{"tree/anolis.phy", "tree/geospiza_from_otl.phy", "tree/small.nex", "tree/sample-rewritten.nex"} {
		f.Add(treeGraphTestdata(f, name))
	}
	for _, s := range []string{
		"((ahli:0,allogus:1):2,rubribarbus:3);", "('it''s'[c],b_c:1e-5,(x,y)in:.5)r:0.25;\n(a,b);",
		"(,);", "'';", ":5;", "(a:1,b)", sampleNexus, "#NEXUS\nbegin trees; tree t = [&U] (a,(b,c)); end;",
	} {
		f.Add([]byte(s))
	}
}

// FuzzNewick: parsing never panics, and whatever parses writes back to
// text that parses to the same trees, also through nested.
func FuzzNewick(f *testing.F) {
	addTreeSeeds(f)
	f.Fuzz(func(t *testing.T, text []byte) {
		trees, err := ParseNewickAll(text)
		if err != nil {
			return
		}
		out, err := WriteNewickAll(trees)
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		again, err := ParseNewickAll(out)
		if err != nil {
			t.Fatalf("written text does not parse: %v\n%q", err, out)
		}
		if diff := cmp.Diff(trees, again); diff != "" {
			t.Fatalf("round trip through %q (-want +got):\n%s", out, diff)
		}
		nested, err := TreeToNested(trees[0])
		if err != nil {
			t.Fatal(err)
		}
		back, err := NestedToTree(nested)
		if err != nil {
			t.Fatalf("nested does not read back: %v", err)
		}
		if diff := cmp.Diff(trees[0], back); diff != "" {
			t.Fatalf("round trip through nested (-want +got):\n%s", diff)
		}
	})
}

// FuzzNexus: parsing never panics, and what parses writes back to NEXUS
// that parses to the same trees (named UNTITLED when unnamed, with the
// rooting the writer chose).
func FuzzNexus(f *testing.F) {
	addTreeSeeds(f)
	f.Fuzz(func(t *testing.T, text []byte) {
		trees, err := ParseNexusAll(text)
		if err != nil {
			return
		}
		out, err := WriteNexus(trees...)
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		again, err := ParseNexusAll(out)
		if err != nil {
			t.Fatalf("written text does not parse: %v\n%s", err, out)
		}
		for _, tr := range trees {
			if tr.Name == "" {
				tr.Name = "UNTITLED"
			}
			if nexusRooted(tr) {
				tr.Rooting = Rooted
			} else {
				tr.Rooting = Unrooted
			}
		}
		if diff := cmp.Diff(trees, again); diff != "" {
			t.Fatalf("round trip through\n%s\n(-want +got):\n%s", out, diff)
		}
	})
}

// FuzzPhyloXML: parsing never panics, and what parses writes back.
func FuzzPhyloXML(f *testing.F) {
	f.Add([]byte(samplePhyloXML))
	f.Add(treeGraphTestdata(f, "tree/small.phyloxml"))
	f.Fuzz(func(t *testing.T, text []byte) {
		trees, err := ParsePhyloXMLAll(text)
		if err != nil {
			return
		}
		out, err := WritePhyloXML(trees...)
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		again, err := ParsePhyloXMLAll(out)
		if err != nil {
			t.Fatalf("written text does not parse: %v\n%s", err, out)
		}
		if len(again) != len(trees) {
			t.Fatalf("%d trees became %d", len(trees), len(again))
		}
	})
}
