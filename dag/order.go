package dag

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/dominikbraun/graph"

	"github.com/truss-dev/truss/spec"
)

// stepOrder sorts a workflow's steps so producers come first (Kahn's
// algorithm, declaration order among independent steps) and reports every
// cycle when there is one.
func (c *compiler) stepOrder(prefix string, wf *spec.Task) ([]*spec.Step, bool) {
	index := make(map[string]int, len(wf.Steps))
	for i, s := range wf.Steps {
		index[s.Name] = i
	}
	deps := make([][]int, len(wf.Steps)) // consumers of each step
	indeg := make([]int, len(wf.Steps))
	seen := map[[2]int]bool{}
	for _, e := range wf.Edges {
		if e.FromStep == "" || e.ToStep == "" {
			continue
		}
		from, ok1 := index[e.FromStep]
		to, ok2 := index[e.ToStep]
		if !ok1 || !ok2 || seen[[2]int{from, to}] {
			continue
		}
		seen[[2]int{from, to}] = true
		deps[from] = append(deps[from], to)
		indeg[to]++
	}
	order := kahn(len(wf.Steps), deps, indeg)
	out := make([]*spec.Step, len(order))
	for i, k := range order {
		out[i] = wf.Steps[k]
	}
	if len(order) == len(wf.Steps) {
		return out, true
	}
	c.reportCycles(prefix, wf, deps, order)
	// The steps that could be ordered are still compiled, so their own
	// problems are reported in the same pass.
	return out, false
}

// kahn returns a topological order of n nodes given successor lists and
// in-degrees (which it consumes); nodes on cycles are left out. Ready nodes
// are taken lowest index first, so the order is deterministic.
func kahn(n int, succ [][]int, indeg []int) []int {
	ready := &IndexQueue{}
	for i := 0; i < n; i++ {
		if indeg[i] == 0 {
			ready.Push(i)
		}
	}
	order := make([]int, 0, n)
	for ready.Len() > 0 {
		i := ready.Pop()
		order = append(order, i)
		for _, j := range succ[i] {
			indeg[j]--
			if indeg[j] == 0 {
				ready.Push(j)
			}
		}
	}
	return order
}

// reportCycles names every cycle among the steps Kahn could not order,
// using the strongly connected components of what is left.
func (c *compiler) reportCycles(prefix string, wf *spec.Task, succ [][]int, ordered []int) {
	done := make(map[int]bool, len(ordered))
	for _, i := range ordered {
		done[i] = true
	}
	// Vertices are step index + 1: graph v0.23's Tarjan loop starts from
	// the key type's zero value, so a vertex 0 would give an empty component.
	g := graph.New(graph.IntHash, graph.Directed())
	for i := range wf.Steps {
		if !done[i] {
			_ = g.AddVertex(i + 1)
		}
	}
	for i, ss := range succ {
		for _, j := range ss {
			if !done[i] && !done[j] {
				_ = g.AddEdge(i+1, j+1)
			}
		}
	}
	sccs, err := graph.StronglyConnectedComponents(g)
	if err != nil {
		c.errorf(wf.Pos, "workflow has a cycle among its steps")
		return
	}
	sort.Slice(sccs, func(a, b int) bool { return minOf(sccs[a]) < minOf(sccs[b]) })
	for _, comp := range sccs {
		for k := range comp {
			comp[k]--
		}
		sort.Ints(comp)
		in := map[int]bool{}
		for _, i := range comp {
			in[i] = true
		}
		selfLoop := false
		for _, j := range succ[comp[0]] {
			if j == comp[0] {
				selfLoop = true
			}
		}
		if len(comp) == 1 && !selfLoop {
			continue // downstream of a cycle, not on one
		}
		cycle := findCycle(comp[0], succ, in)
		names := make([]string, len(cycle))
		for k, i := range cycle {
			names[k] = prefix + wf.Steps[i].Name
		}
		names = append(names, prefix+wf.Steps[cycle[0]].Name)
		c.errorf(wf.Steps[comp[0]].Pos, "cycle among steps: %s", strings.Join(names, " → "))
	}
}

// findCycle walks from start inside one strongly connected component until
// it comes back, returning the steps on the way.
func findCycle(start int, succ [][]int, in map[int]bool) []int {
	parent := map[int]int{start: -1}
	queue := []int{start}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, j := range succ[i] {
			if !in[j] {
				continue
			}
			if j == start {
				var path []int
				for k := i; k != -1; k = parent[k] {
					path = append(path, k)
				}
				for a, b := 0, len(path)-1; a < b; a, b = a+1, b-1 {
					path[a], path[b] = path[b], path[a]
				}
				return path
			}
			if _, ok := parent[j]; !ok {
				parent[j] = i
				queue = append(queue, j)
			}
		}
	}
	return []int{start}
}

// link builds the plan's adjacency and topological order.
func (c *compiler) link() {
	p := c.plan
	n := len(p.Nodes)
	p.Succ = make([][]int, n)
	p.Pred = make([][]int, n)
	indeg := make([]int, n)
	for _, node := range p.Nodes {
		seen := map[int]bool{}
		addDep := func(from int) {
			if seen[from] {
				return
			}
			seen[from] = true
			p.Pred[node.Index] = append(p.Pred[node.Index], from)
			p.Succ[from] = append(p.Succ[from], node.Index)
			indeg[node.Index]++
		}
		for _, in := range node.In {
			addDep(in.From.Node)
		}
		if node.Step != nil && node.Step.When != nil {
			for _, name := range slices.Sorted(maps.Keys(node.Step.Scope)) {
				addDep(node.Step.Scope[name].Node)
			}
		}
	}
	p.Order = kahn(n, p.Succ, indeg)
}

func minOf(xs []int) int {
	m := xs[0]
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}

// IndexQueue is a min-heap of node or step indexes: whatever is ready, the
// earliest declared goes first, so orders and runs are reproducible.
type IndexQueue struct{ a []int }

// Len is the number of queued indexes.
func (h *IndexQueue) Len() int { return len(h.a) }

// Push adds an index.
func (h *IndexQueue) Push(x int) {
	h.a = append(h.a, x)
	i := len(h.a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h.a[p] <= h.a[i] {
			break
		}
		h.a[p], h.a[i] = h.a[i], h.a[p]
		i = p
	}
}

// Pop removes and returns the smallest index.
func (h *IndexQueue) Pop() int {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.a) && h.a[l] < h.a[m] {
			m = l
		}
		if r < len(h.a) && h.a[r] < h.a[m] {
			m = r
		}
		if m == i {
			return top
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
}
