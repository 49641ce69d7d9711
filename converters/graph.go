package converters

import (
	"context"

	"github.com/truss-dev/truss/formats"
)

// addGraph registers Go-native converters between every pair of the graph
// text formats (adjacencylist, clique.json, graphml, networkx.json), each
// a read into formats.Graph and a write. Girder Worker routed all of them
// through a Python networkx object; the python converters to and from
// graph/networkx are registered with the runtime converters.
//
// Edges into adjacencylist are Lossy: an adjacency list keeps node ids and
// who is adjacent to whom, and loses every attribute, the direction of
// edges and parallel edges. (Edges into clique.json keep attributes but
// make the graph directed and replace node ids with derived ObjectIds, as
// Girder Worker did.)
func addGraph(r *Registry) {
	for _, from := range formats.GraphFormats() {
		for _, to := range formats.GraphFormats() {
			if from == to {
				continue
			}
			r.MustAdd(Converter{Type: "graph", From: from, To: to,
				Lossy: to == formats.GraphAdjacencyList, Run: graphConverter(from, to)})
		}
	}
}

func graphConverter(from, to string) Func {
	return func(ctx context.Context, _ Env, in formats.Value) (formats.Value, error) {
		if err := ctx.Err(); err != nil {
			return formats.Value{}, err
		}
		text, err := treeTextOf(in)
		if err != nil {
			return formats.Value{}, err
		}
		g, err := formats.ReadGraph(from, text)
		if err != nil {
			return formats.Value{}, err
		}
		out, err := formats.WriteGraph(to, g)
		if err != nil {
			return formats.Value{}, err
		}
		return formats.Value{Bytes: out}, nil
	}
}
