package dag

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/truss-dev/truss/converters"
)

// describe is a one-line account of what a node does.
func (p *Plan) describe(n *Node) string {
	switch n.Kind {
	case KindInput:
		if n.External {
			return "bind " + label(n.Type, n.Format)
		}
		return "default " + label(n.Type, n.Format)
	case KindValidate:
		var parts []string
		if n.Validate {
			parts = append(parts, "check "+label(n.Type, n.Format))
		}
		if n.Constraint != nil {
			parts = append(parts, "constraint "+n.Constraint.Text)
		}
		return strings.Join(parts, ", ")
	case KindConvert:
		c := n.Converter
		return fmt.Sprintf("convert %s/%s → %s (%s)", c.Type, c.From, c.To, converters.RuntimeName(c.Runtime))
	case KindStep:
		s := n.Step
		mode := s.Task.Mode
		if mode == "" {
			mode = "python"
		}
		d := mode + " step"
		if s.Visualization {
			d = "visualization (not run)"
		}
		if s.When != nil {
			d += " when " + s.When.Text
		}
		return d
	case KindOutput:
		return "output " + label(n.Type, n.Format)
	}
	return n.Kind.String()
}

func label(typ, format string) string {
	if typ == "" {
		return "(untyped)"
	}
	return typ + "/" + format
}

func (p *Plan) inputsOf(n *Node) string {
	parts := make([]string, len(n.In))
	for i, in := range n.In {
		src := p.Nodes[in.From.Node].ID
		if in.From.Port != ValuePort {
			src += "." + in.From.Port
		}
		if in.Port == ValuePort {
			parts[i] = src
		} else {
			parts[i] = in.Port + "=" + src
		}
	}
	return strings.Join(parts, ", ")
}

// WriteText writes the plan as an aligned table in topological order.
func (p *Plan) WriteText(w io.Writer) error {
	counts := p.Counts()
	inserted := 0
	for _, n := range p.Nodes {
		if n.Inserted {
			inserted++
		}
	}
	fmt.Fprintf(w, "%d nodes: %d steps, %d inputs, %d outputs, %d inserted (%d convert, %d validate)\n",
		len(p.Nodes), counts[KindStep], counts[KindInput], counts[KindOutput], inserted, counts[KindConvert], counts[KindValidate])
	width := 0
	for _, n := range p.Nodes {
		width = max(width, len(n.ID))
	}
	for _, i := range p.Order {
		n := p.Nodes[i]
		mark := " "
		if n.Inserted {
			mark = "+"
		}
		line := fmt.Sprintf("%s %-*s  %-8s  %s", mark, width, n.ID, n.Kind, p.describe(n))
		if len(n.In) > 0 {
			line += "  ← " + p.inputsOf(n)
		}
		if _, err := fmt.Fprintln(w, strings.TrimRight(line, " ")); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, "(+ marks nodes inserted by the compiler)")
	return err
}

// WriteDOT writes the plan in Graphviz DOT; inserted nodes are dashed.
func (p *Plan) WriteDOT(w io.Writer) error {
	var b strings.Builder
	b.WriteString("digraph plan {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n")
	for _, n := range p.Nodes {
		shape := map[Kind]string{KindInput: "invhouse", KindValidate: "diamond", KindConvert: "ellipse", KindStep: "box", KindOutput: "house"}[n.Kind]
		style := ""
		if n.Inserted {
			style = ", style=dashed"
		}
		fmt.Fprintf(&b, "  n%d [label=%q, shape=%s%s];\n", n.Index, n.ID+"\n"+p.describe(n), shape, style)
	}
	for i, ss := range p.Succ {
		for _, j := range ss {
			fmt.Fprintf(&b, "  n%d -> n%d;\n", i, j)
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMermaid writes the plan as a Mermaid flowchart.
func (p *Plan) WriteMermaid(w io.Writer) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for _, n := range p.Nodes {
		text := strings.ReplaceAll(n.ID+"<br/>"+p.describe(n), `"`, "#quot;")
		open, closing := mermaidShape(n.Kind)
		fmt.Fprintf(&b, "  n%d%s\"%s\"%s\n", n.Index, open, text, closing)
		if n.Inserted {
			fmt.Fprintf(&b, "  class n%d inserted\n", n.Index)
		}
	}
	for i, ss := range p.Succ {
		for _, j := range ss {
			fmt.Fprintf(&b, "  n%d --> n%d\n", i, j)
		}
	}
	b.WriteString("  classDef inserted stroke-dasharray: 5 5\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func mermaidShape(k Kind) (string, string) {
	switch k {
	case KindInput:
		return "[/", "/]"
	case KindValidate:
		return "{", "}"
	case KindConvert:
		return "([", "])"
	case KindOutput:
		return "[\\", "\\]"
	}
	return "[", "]"
}

// JSONNode is one node of the plan's JSON form.
type JSONNode struct {
	ID          string            `json:"id"`
	Kind        string            `json:"kind"`
	Inserted    bool              `json:"inserted,omitempty"`
	Description string            `json:"description"`
	Type        string            `json:"type,omitempty"`
	Format      string            `json:"format,omitempty"`
	Mode        string            `json:"mode,omitempty"`
	Inputs      map[string]string `json:"inputs,omitempty"`
	After       []string          `json:"after,omitempty"`
}

// WriteJSON writes {"nodes": [...]} in topological order.
func (p *Plan) WriteJSON(w io.Writer) error {
	nodes := make([]JSONNode, 0, len(p.Nodes))
	for _, i := range p.Order {
		n := p.Nodes[i]
		jn := JSONNode{ID: n.ID, Kind: n.Kind.String(), Inserted: n.Inserted, Description: p.describe(n), Type: n.Type, Format: n.Format}
		if n.Step != nil {
			jn.Mode = n.Step.Task.Mode
		}
		if len(n.In) > 0 {
			jn.Inputs = map[string]string{}
			for _, in := range n.In {
				src := p.Nodes[in.From.Node].ID
				if in.From.Port != ValuePort {
					src += "." + in.From.Port
				}
				jn.Inputs[in.Port] = src
			}
		}
		for _, j := range p.Pred[i] {
			jn.After = append(jn.After, p.Nodes[j].ID)
		}
		nodes = append(nodes, jn)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // keep "a~csv>rows" readable
	return enc.Encode(map[string]any{"nodes": nodes})
}
