package spec

import (
	"fmt"
	"slices"
	"strings"
)

func portKeys() []string {
	return []string{
		"id", "name", "type", "format", "target", "default", "description",
		"stream", "path", "arg", "filename", "constraint", "from",
		"domain", "x", "y", // UI metadata, kept in Extra
	}
}

// ports decodes an inputs or outputs list; dir is "input" or "output".
func (l *loader) ports(e *entry, dir string) []*Port {
	v := e.val
	if v.kind == nullNode {
		return nil
	}
	if v.kind != listNode {
		l.errorf(v.pos, "%ss must be a list of ports like [{name: a, type: number, format: number}], not %s", dir, v.describe())
		return nil
	}
	var out []*Port
	seen := map[string]Pos{}
	for i, it := range v.items {
		p := l.port(it, dir, i+1)
		if p == nil {
			continue
		}
		if first, dup := seen[p.Name]; dup {
			l.errorf(p.Pos, "duplicate %s %s (first at %s); port names must be unique", dir, q(p.Name), shortPos(first))
			continue
		}
		seen[p.Name] = p.Pos
		out = append(out, p)
	}
	return out
}

// port decodes one port. Its identifier is id when given, else name
// (Girder Worker's _extractId); with both, name is a human label.
func (l *loader) port(n *node, dir string, idx int) *Port {
	if n.kind != mapNode {
		l.errorf(n.pos, "%s #%d must be a map like {name: a, type: number, format: number}, not %s", dir, idx, n.describe())
		return nil
	}
	p := &Port{Pos: n.pos}
	label := fmt.Sprintf("%s #%d", dir, idx)
	idE, nameE := n.get("id"), n.get("name")
	var ok bool
	switch {
	case idE != nil:
		p.Name, ok = l.nameVal(idE, label+": id")
		if nameE != nil {
			p.Label, _ = l.textVal(nameE, label+": name")
		}
	case nameE != nil:
		p.Name, ok = l.nameVal(nameE, label+": name")
	default:
		l.errorf(n.pos, "%s has neither id nor name: add name: <port name>", label)
		return nil
	}
	if !ok {
		return nil
	}
	if p.Name == "" {
		l.errorf(n.pos, "%s has an empty name", label)
		return nil
	}
	what := dir + " " + q(p.Name)

	var typeE, formatE, targetE, defaultE *entry
	for i := range n.entries {
		e := &n.entries[i]
		switch e.key {
		case "id", "name":
		case "type":
			typeE = e
			p.Type, _ = l.stringVal(e, what+": type")
		case "format":
			formatE = e
			p.Format, _ = l.stringVal(e, what+": format")
		case "target":
			targetE = e
			p.Target, _ = l.stringVal(e, what+": target")
		case "default":
			defaultE = e
		case "description":
			p.Description, _ = l.textVal(e, what+": description")
		case "stream":
			p.Stream, _ = l.boolVal(e, what+": stream")
		case "path":
			p.Path, _ = l.stringVal(e, what+": path")
		case "arg":
			p.Arg, _ = l.stringVal(e, what+": arg")
		case "filename":
			p.Filename, _ = l.stringVal(e, what+": filename")
		case "constraint":
			if s, ok := l.stringVal(e, what+": constraint"); ok {
				p.Constraint, p.ConstraintPos = s, e.val.textPos
			}
		case "from":
			if s, ok := l.stringVal(e, what+": from"); ok {
				p.From, p.FromPos = s, e.val.pos
			}
		case "domain", "x", "y":
			if p.Extra == nil {
				p.Extra = map[string]any{}
			}
			p.Extra[e.key] = e.val.value()
		default:
			l.unknownKey(e, what, portKeys())
			// A misspelt type or format: do not also report it missing.
			switch suggest(e.key, portKeys()) {
			case "type":
				typeE = e
			case "format":
				formatE = e
			}
		}
	}
	if targetE != nil && p.Target != "" && p.Target != "memory" && p.Target != "filepath" {
		l.errorf(targetE.val.pos, "%s: target must be memory or filepath, got %q", what, p.Target)
	}
	if p.Stream && p.Target != "filepath" {
		l.errorf(n.get("stream").val.pos, "%s: stream: true needs target: filepath (a stream is a named pipe the program opens as a file)", what)
	}
	if typeE == nil || formatE == nil || typeE.key == "type" && formatE.key == "format" {
		l.typeFormat(p, what, typeE, formatE)
	}
	if defaultE != nil {
		if dir == "output" {
			l.errorf(defaultE.keyPos, "%s: default only applies to inputs", what)
		} else {
			p.Default = l.defaultBinding(defaultE.val, p)
		}
	}
	return p
}

// typeFormat checks that type and format come together and, with a
// registry, that they are known.
func (l *loader) typeFormat(p *Port, what string, typeE, formatE *entry) {
	reg := l.opts.Formats
	switch {
	case p.Type != "" && formatE == nil:
		hint := ""
		if reg != nil && reg.HasType(p.Type) {
			hint = " (formats of " + p.Type + ": " + strings.Join(reg.FormatNames(p.Type), ", ") + ")"
		}
		l.errorf(typeE.val.pos, "%s: type %s needs a format too: add format:%s", what, q(p.Type), hint)
	case p.Format != "" && typeE == nil:
		hint := ""
		if reg != nil {
			var types []string
			for _, t := range reg.Types() {
				if _, ok := reg.Lookup(t, p.Format); ok {
					types = append(types, t)
				}
			}
			switch len(types) {
			case 0:
			case 1:
				hint = " " + types[0]
			default:
				hint = " (" + q(p.Format) + " is a format of " + strings.Join(types, ", ") + ")"
			}
		}
		l.errorf(formatE.val.pos, "%s: format %s needs a type too: add type:%s", what, q(p.Format), hint)
	case p.Type != "" && p.Format != "" && reg != nil:
		if !reg.HasType(p.Type) {
			types := reg.Types()
			msg := didYouMean(p.Type, types)
			if msg == "" {
				msg = " (known types: " + strings.Join(types, ", ") + ")"
			}
			l.errorf(typeE.val.pos, "%s: unknown type %s%s", what, q(p.Type), msg)
			return
		}
		if _, ok := reg.Lookup(p.Type, p.Format); !ok {
			names := reg.FormatNames(p.Type)
			l.errorf(formatE.val.pos, "%s: unknown format %s for type %s%s (known formats of %s: %s)",
				what, q(p.Format), p.Type, didYouMean(p.Format, names), p.Type, strings.Join(names, ", "))
		}
	}
}

// defaultBinding reads a port default. A map that holds only binding keys
// and says where the data is (data, format, url or path) is a Girder
// Worker binding; anything else is a bare value in the port's format.
func (l *loader) defaultBinding(v *node, p *Port) *Binding {
	if v.kind == mapNode && looksLikeBinding(v) {
		b := l.binding(v, "default of input "+q(p.Name))
		if b.Format == "" {
			b.Format = p.Format
		}
		return b
	}
	return &Binding{Pos: v.pos, Format: p.Format, Data: v.value(), HasData: true}
}

func looksLikeBinding(v *node) bool {
	known := bindingKeys()
	for _, e := range v.entries {
		if !slices.Contains(known, e.key) {
			return false
		}
	}
	for _, k := range []string{"data", "format", "url", "path"} {
		if v.get(k) != nil {
			return true
		}
	}
	return false
}
