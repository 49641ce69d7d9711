package converters

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/dominikbraun/graph"
)

// pathCache memoises cheapest paths; a registry change resets it.
type pathCache struct {
	mu    sync.Mutex
	paths map[string]pathResult
}

type pathResult struct {
	path []*Converter
	err  error
}

func newPathCache() *pathCache { return &pathCache{paths: map[string]pathResult{}} }

func (p *pathCache) reset() {
	p.mu.Lock()
	p.paths = map[string]pathResult{}
	p.mu.Unlock()
}

// NoPathError says a value cannot be converted, and where it could go.
type NoPathError struct {
	Type, From, To string
	Reachable      []string // formats reachable from From
}

func (e *NoPathError) Error() string {
	msg := fmt.Sprintf("no conversion path from %s/%s to %s/%s", e.Type, e.From, e.Type, e.To)
	if len(e.Reachable) > 0 {
		msg += "; " + e.Type + "/" + e.From + " converts to: " + strings.Join(e.Reachable, ", ")
	} else {
		msg += "; nothing converts from " + e.Type + "/" + e.From
	}
	return msg
}

// Path returns the cheapest chain of converters from typ/from to typ/to
// (weights: Go 1, python 10, R 20, lossy +100). Among equally cheap paths
// the one whose sequence of format names sorts first wins, so the choice
// never depends on map order. Equal formats give an empty path.
func (r *Registry) Path(typ, from, to string) ([]*Converter, error) {
	if from == to {
		return nil, nil
	}
	key := typ + "/" + from + "->" + to
	r.paths.mu.Lock()
	res, ok := r.paths.paths[key]
	r.paths.mu.Unlock()
	if ok {
		return res.path, res.err
	}
	path, err := r.search(typ, from, to)
	r.paths.mu.Lock()
	r.paths.paths[key] = pathResult{path, err}
	r.paths.mu.Unlock()
	return path, err
}

// search is Dijkstra over the type's formats with a lexicographic tie-break
// on the path's format sequence. A type has a dozen formats at most, so a
// plain O(V²) scan is the simplest correct choice (dominikbraun/graph's
// ShortestPath has no deterministic tie-break).
func (r *Registry) search(typ, from, to string) ([]*Converter, error) {
	for _, f := range []string{from, to} {
		if _, ok := r.formats.Lookup(typ, f); !ok {
			return nil, fmt.Errorf("unknown format %s/%s (known %s formats: %s)", typ, f, typ, strings.Join(r.formats.FormatNames(typ), ", "))
		}
	}
	type label struct {
		cost  int
		names []string // format sequence, for the tie-break
		path  []*Converter
	}
	better := func(a, b *label) bool {
		if b == nil {
			return true
		}
		if a.cost != b.cost {
			return a.cost < b.cost
		}
		return lessNames(a.names, b.names)
	}
	best := map[string]*label{from: {names: []string{from}}}
	done := map[string]bool{}
	for {
		var cur string
		var curL *label
		for f, l := range best {
			if done[f] {
				continue
			}
			if curL == nil || better(l, curL) {
				cur, curL = f, l
			}
		}
		if curL == nil {
			break
		}
		if cur == to {
			return curL.path, nil
		}
		done[cur] = true
		for _, c := range r.From(typ, cur) {
			if done[c.To] {
				continue
			}
			cand := &label{
				cost:  curL.cost + c.Weight(),
				names: append(append([]string(nil), curL.names...), c.To),
				path:  append(append([]*Converter(nil), curL.path...), c),
			}
			if better(cand, best[c.To]) {
				best[c.To] = cand
			}
		}
	}
	reach := make([]string, 0, len(done))
	for f := range done {
		if f != from {
			reach = append(reach, f)
		}
	}
	sort.Strings(reach)
	return nil, &NoPathError{Type: typ, From: from, To: to, Reachable: reach}
}

func lessNames(a, b []string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// Graph returns the converter graph as a dominikbraun/graph value (vertices
// "type/format", weighted edges), for rendering and analysis.
func (r *Registry) Graph() (graph.Graph[string, string], error) {
	g := graph.New(graph.StringHash, graph.Directed(), graph.Weighted())
	for _, f := range r.formats.Formats("") {
		if err := g.AddVertex(f.Key()); err != nil {
			return nil, err
		}
	}
	for _, c := range r.All() {
		err := g.AddEdge(c.Type+"/"+c.From, c.Type+"/"+c.To,
			graph.EdgeWeight(c.Weight()), graph.EdgeAttribute("runtime", RuntimeName(c.Runtime)))
		if err != nil {
			return nil, err
		}
	}
	return g, nil
}

// RuntimeName names a runtime for display ("go" for Go-native).
func RuntimeName(rt string) string {
	if rt == "" {
		return "go"
	}
	return rt
}
