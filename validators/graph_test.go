package validators

import (
	"testing"

	"github.com/truss-dev/truss/formats"
)

func TestGraphValidators(t *testing.T) {
	text := func(s string) formats.Value { return formats.Value{Bytes: []byte(s)} }
	runTreeGraphCases(t, "graph", []treeGraphCase{
		{"adjacencylist", "adjacencylist", formats.Value{Bytes: treeGraphTestdata(t, "graph/facebook-sample-data.txt")}, ""},
		{"adjacencylist not utf-8", "adjacencylist", text("a b\n\xff"), "adjacencylist: line 2, column 1"},
		{"clique.json", "clique.json", formats.Value{Bytes: treeGraphTestdata(t, "graph/clique.json")}, ""},
		{"clique.json dangling", "clique.json", text(`[{"type":"link","source":{"$oid":"000000000000000000000001"},"target":{"$oid":"000000000000000000000001"}}]`), "[0].source: no node has $oid"},
		{"networkx.json", "networkx.json", formats.Value{Bytes: treeGraphTestdata(t, "graph/facebook-expected-networkx.json")}, ""},
		{"networkx.json dangling", "networkx.json", text(`{"nodes":[{"id":"a"}],"links":[{"source":"a","target":"b"}]}`), `links[0].target: no node has id "b"`},
		{"networkx.json bad JSON", "networkx.json", text(`{"nodes": [}`), "networkx.json: line 1, column 12"},
		{"graphml", "graphml", formats.Value{Bytes: treeGraphTestdata(t, "graph/typed.graphml")}, ""},
		{"graphml truncated", "graphml", text("<graphml>\n  <graph>\n    <node"), "graphml: line 3"},
	})
	if _, ok := treeGraphValidators().Get("graph", "networkx"); ok {
		t.Error("graph/networkx has a Go validator; it belongs to the python runtime")
	}
}
