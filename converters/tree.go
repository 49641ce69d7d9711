package converters

import (
	"context"
	"fmt"

	"github.com/truss-dev/truss/formats"
)

// addTree registers the Go-native tree converters. Girder Worker needed R
// (ape) to reach nested from newick or nexus and ete3 to come back, and
// lost precision on the way (ete3 wrote lengths with 6 significant digits
// and gave length-less trees a length of 1); these keep every label and
// length exactly. nexus ↔ nested goes through newick by the path search.
// phyloxml, isolated in Girder Worker, now converts to and from newick.
// treestore has no converter: Girder Worker produced it only from R.
func addTree(r *Registry) {
	r.MustAdd(Converter{Type: "tree", From: "newick", To: "nested", Run: treeConv(newickToNested)})
	r.MustAdd(Converter{Type: "tree", From: "nested", To: "newick", Run: treeConv(nestedToNewick)})
	r.MustAdd(Converter{Type: "tree", From: "nested", To: "nested.json", Run: treeConv(nestedToJSON)})
	r.MustAdd(Converter{Type: "tree", From: "nested.json", To: "nested", Run: treeConv(jsonToNested)})
	r.MustAdd(Converter{Type: "tree", From: "newick", To: "nexus", Run: treeText(formats.ParseNewickAll, writeNexus)})
	// Tree names and [&R]/[&U] have no place in Newick.
	r.MustAdd(Converter{Type: "tree", From: "nexus", To: "newick", Run: treeText(formats.ParseNexusAll, formats.WriteNewickAll)})
	r.MustAdd(Converter{Type: "tree", From: "newick", To: "phyloxml", Run: treeText(formats.ParseNewickAll, writePhyloXML)})
	// Lossy: phyloXML says much more than the clade names and lengths read
	// here (confidences, taxonomy, events, sequences, properties…).
	r.MustAdd(Converter{Type: "tree", From: "phyloxml", To: "newick", Lossy: true,
		Run: treeText(formats.ParsePhyloXMLAll, formats.WriteNewickAll)})
}

func writeNexus(trees []*formats.Tree) ([]byte, error)    { return formats.WriteNexus(trees...) }
func writePhyloXML(trees []*formats.Tree) ([]byte, error) { return formats.WritePhyloXML(trees...) }

// treeConv adapts a value-to-value function to a converter Func.
func treeConv(f func(in formats.Value) (formats.Value, error)) Func {
	return func(ctx context.Context, _ Env, in formats.Value) (formats.Value, error) {
		if err := ctx.Err(); err != nil {
			return formats.Value{}, err
		}
		return f(in)
	}
}

// treeText converts between two text formats holding one or more trees.
func treeText(read func([]byte) ([]*formats.Tree, error), write func([]*formats.Tree) ([]byte, error)) Func {
	return treeConv(func(in formats.Value) (formats.Value, error) {
		text, err := treeTextOf(in)
		if err != nil {
			return formats.Value{}, err
		}
		trees, err := read(text)
		if err != nil {
			return formats.Value{}, err
		}
		out, err := write(trees)
		if err != nil {
			return formats.Value{}, err
		}
		return formats.Value{Bytes: out}, nil
	})
}

// treeTextOf returns the text of a text-format value (Bytes, or a string
// in Data from a caller that did not know better).
func treeTextOf(v formats.Value) ([]byte, error) {
	switch {
	case v.Bytes != nil:
		return v.Bytes, nil
	case v.Path != "":
		return v.FileBytes()
	}
	if s, ok := v.Data.(string); ok {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("%s/%s: expected text, got %s", v.Type, v.Format, formats.TypeName(v.Data))
}

// newickToNested reads one tree: nested holds a single tree, and dropping
// the others silently would lose data.
func newickToNested(in formats.Value) (formats.Value, error) {
	text, err := treeTextOf(in)
	if err != nil {
		return formats.Value{}, err
	}
	trees, err := formats.ParseNewickAll(text)
	if err != nil {
		return formats.Value{}, err
	}
	if len(trees) > 1 {
		return formats.Value{}, fmt.Errorf("the newick text holds %d trees; nested holds one", len(trees))
	}
	nested, err := formats.TreeToNested(trees[0])
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Data: nested}, nil
}

func nestedToNewick(in formats.Value) (formats.Value, error) {
	tree, err := formats.NestedToTree(in.Data)
	if err != nil {
		return formats.Value{}, err
	}
	out, err := formats.WriteNewick(tree)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Bytes: out}, nil
}

func nestedToJSON(in formats.Value) (formats.Value, error) {
	out, err := formats.EncodeJSON(in.Data)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Bytes: out}, nil
}

func jsonToNested(in formats.Value) (formats.Value, error) {
	text, err := treeTextOf(in)
	if err != nil {
		return formats.Value{}, err
	}
	nested, err := formats.DecodeNestedJSON(text)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Data: nested}, nil
}
