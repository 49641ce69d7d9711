package formats

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
)

// ReadAdjacencyList reads networkx's adjacency list (read_adjlist): each
// line is a node followed by its neighbours, separated by whitespace;
// '#' starts a comment; blank lines are skipped. Node ids are strings and
// the graph is undirected and simple, so an edge listed from both ends, or
// twice, is one edge.
func ReadAdjacencyList(text []byte) (*Graph, error) {
	if err := checkTextUTF8(GraphAdjacencyList, text); err != nil {
		return nil, err
	}
	b := newGraphBuilder(false)
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(string(line))
		if len(fields) == 0 {
			continue
		}
		u := fields[0]
		b.node(u, nil, nil)
		for _, v := range fields[1:] {
			b.edge(u, v, nil)
		}
	}
	return b.finish(false), nil
}

// WriteAdjacencyList writes g as networkx's generate_adjlist lines joined
// by "\n": every node on a line of its own followed by its neighbours
// (successors when directed) in the order the edges list them; in an
// undirected graph an edge is written only from the end whose line comes
// first; in a multigraph a neighbour is repeated once per parallel edge.
// Attributes, directedness and multigraph-ness are lost: the reader gives
// back an undirected simple graph. A node id that is empty or holds
// whitespace or '#' cannot be written and is an error (networkx writes it
// and reads back something else).
func WriteAdjacencyList(g *Graph) ([]byte, error) {
	if err := g.check(GraphAdjacencyList); err != nil {
		return nil, err
	}
	type nbr struct {
		id    string
		count int
	}
	adj := make(map[string][]nbr, len(g.Nodes))
	pos := make(map[[2]string]int, len(g.Edges)) // (node, neighbour) → index in adj[node]
	add := func(u, v string) {
		k := [2]string{u, v}
		if i, ok := pos[k]; ok {
			adj[u][i].count++
			return
		}
		pos[k] = len(adj[u])
		adj[u] = append(adj[u], nbr{v, 1})
	}
	for _, e := range g.Edges {
		add(e.Source, e.Target)
		if !g.Directed && e.Source != e.Target {
			add(e.Target, e.Source)
		}
	}
	var out bytes.Buffer
	seen := make(map[string]bool, len(g.Nodes))
	for i, n := range g.Nodes {
		if err := checkAdjacencyID(n.ID); err != nil {
			return nil, err
		}
		if i > 0 {
			out.WriteByte('\n')
		}
		out.WriteString(n.ID)
		for _, v := range adj[n.ID] {
			if !g.Directed && seen[v.id] {
				continue
			}
			count := 1
			if g.Multigraph {
				count = v.count
			}
			for range count {
				out.WriteByte(' ')
				out.WriteString(v.id)
			}
		}
		if !g.Directed {
			seen[n.ID] = true
		}
	}
	return out.Bytes(), nil
}

func checkAdjacencyID(id string) error {
	if id == "" || strings.ContainsRune(id, '#') || strings.IndexFunc(id, unicode.IsSpace) >= 0 {
		return fmt.Errorf("%s: node id %q cannot be written: it is empty or holds whitespace or '#'", GraphAdjacencyList, id)
	}
	return nil
}
