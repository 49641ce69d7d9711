package formats

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParsePhyloXML reads the first phylogeny of a phyloXML text; see
// ParsePhyloXMLAll.
func ParsePhyloXML(text []byte) (*Tree, error) {
	trees, err := ParsePhyloXMLAll(text)
	if err != nil {
		return nil, err
	}
	return trees[0], nil
}

// ParsePhyloXMLAll reads every <phylogeny> of a phyloXML text into trees:
// the clade structure, each clade's name (its <name>, or failing that its
// taxonomy's <scientific_name> or <code>) and branch length (the
// branch_length attribute or element), the phylogeny's <name> and its
// rooted attribute. Everything else phyloXML can say (confidences, events,
// sequences, properties, …) is not read. Namespaces are ignored, so files
// of phyloXML 1.0 and 1.10 both read.
func ParsePhyloXMLAll(text []byte) ([]*Tree, error) {
	if err := checkTextUTF8("phyloxml", text); err != nil {
		return nil, err
	}
	r := phyloReader{text: string(text), d: xml.NewDecoder(bytes.NewReader(text))}
	return r.read()
}

type phyloReader struct {
	text string
	d    *xml.Decoder

	path   []phyloElem // the open elements
	clades []*TreeNode // open clades, innermost last
	tree   *Tree       // the open phylogeny
	trees  []*Tree

	capture  *strings.Builder // text of the open <name>, <branch_length>, …
	taxName  []string         // taxonomy name of each open clade
	lenElems []string         // <branch_length> text of each open clade ("" if none)
}

func (r *phyloReader) errorf(msg string, args ...any) error {
	return syntaxErrorAt("phyloxml", r.text, int(r.d.InputOffset()), msg, args...)
}

// phyloElem is an open element: its local name, whether it opened a
// clade of the tree (a <clade> outside a <phylogeny> does not) and whether
// it started gathering text (a <name>, <branch_length>, …).
type phyloElem struct {
	local   string
	clade   bool
	capture bool // this element's text is being gathered
}

func (r *phyloReader) parent() string {
	if len(r.path) == 0 {
		return ""
	}
	return r.path[len(r.path)-1].local
}

func (r *phyloReader) read() ([]*Tree, error) {
	var text strings.Builder
	for {
		tok, err := r.d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, xmlSyntaxError("phyloxml", r.text, r.d, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			capturing := r.capture != nil
			clade, err := r.start(tok, &text)
			if err != nil {
				return nil, err
			}
			r.path = append(r.path, phyloElem{local: tok.Name.Local, clade: clade, capture: !capturing && r.capture != nil})
		case xml.CharData:
			if r.capture != nil {
				r.capture.Write(tok)
			}
		case xml.EndElement:
			el := r.path[len(r.path)-1]
			r.path = r.path[:len(r.path)-1]
			if err := r.end(el, &text); err != nil {
				return nil, err
			}
		}
	}
	if len(r.trees) == 0 {
		return nil, r.errorf("no <phylogeny> element")
	}
	return r.trees, nil
}

// start handles an opening tag; it reports whether the tag opened a clade.
func (r *phyloReader) start(el xml.StartElement, text *strings.Builder) (bool, error) {
	parent := r.parent()
	if len(r.path) == 0 && el.Name.Local != "phyloxml" {
		return false, r.errorf("expected a <phyloxml> root element, found <%s>", el.Name.Local)
	}
	inClade := len(r.path) > 0 && r.path[len(r.path)-1].clade
	switch {
	case el.Name.Local == "phylogeny" && len(r.path) == 1:
		r.tree = &Tree{}
		switch xmlAttrValue(el, "rooted") {
		case "true", "1":
			r.tree.Rooting = Rooted
		case "false", "0":
			r.tree.Rooting = Unrooted
		}
	case el.Name.Local == "clade" && (inClade || parent == "phylogeny" && r.tree != nil):
		n := &TreeNode{}
		if bl := xmlAttrValue(el, "branch_length"); bl != "" {
			f, err := parseBranchLength(bl)
			if err != nil {
				return false, r.errorf("clade branch_length: %v", err)
			}
			n.Length, n.HasLength = f, true
		}
		if inClade {
			p := r.clades[len(r.clades)-1]
			p.Children = append(p.Children, n)
		} else {
			if r.tree.Root != nil {
				return false, r.errorf("a <phylogeny> has a second root <clade>")
			}
			r.tree.Root = n
		}
		r.clades = append(r.clades, n)
		r.taxName = append(r.taxName, "")
		r.lenElems = append(r.lenElems, "")
		return true, nil
	case r.capture != nil:
		// Markup inside a <name> or <branch_length>: its text is part of
		// the value being gathered.
	case el.Name.Local == "name" && (inClade || parent == "phylogeny" && r.tree != nil),
		el.Name.Local == "branch_length" && inClade,
		(el.Name.Local == "scientific_name" || el.Name.Local == "code") && parent == "taxonomy" &&
			len(r.path) >= 2 && r.path[len(r.path)-2].clade:
		text.Reset()
		r.capture = text
	}
	return false, nil
}

func (r *phyloReader) end(el phyloElem, text *strings.Builder) error {
	local, parent := el.local, r.parent()
	captured := el.capture
	if captured {
		r.capture = nil
	}
	switch {
	case el.clade:
		top := len(r.clades) - 1
		n := r.clades[top]
		if n.Name == "" {
			n.Name = r.taxName[top]
		}
		if s := r.lenElems[top]; s != "" {
			f, err := parseBranchLength(s)
			if err != nil {
				return r.errorf("clade <branch_length>: %v", err)
			}
			n.Length, n.HasLength = f, true
		}
		r.clades, r.taxName, r.lenElems = r.clades[:top], r.taxName[:top], r.lenElems[:top]
	case local == "phylogeny" && len(r.path) == 1 && r.tree != nil:
		if r.tree.Root == nil {
			return r.errorf("<phylogeny> %d has no <clade>", len(r.trees)+1)
		}
		r.trees = append(r.trees, r.tree)
		r.tree = nil
	case !captured:
	case local == "name" && parent == "clade" && len(r.clades) > 0:
		r.clades[len(r.clades)-1].Name = strings.TrimSpace(text.String())
	case local == "name" && parent == "phylogeny":
		r.tree.Name = strings.TrimSpace(text.String())
	case local == "branch_length":
		r.lenElems[len(r.lenElems)-1] = strings.TrimSpace(text.String())
	case local == "scientific_name" || local == "code":
		if top := len(r.taxName) - 1; r.taxName[top] == "" {
			r.taxName[top] = strings.TrimSpace(text.String())
		}
	}
	return nil
}

func xmlAttrValue(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

func parseBranchLength(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("bad branch length %q: expected a finite number", s)
	}
	return f, nil
}

// xmlSyntaxError turns an encoding/xml error into a SyntaxError at the
// decoder's position (encoding/xml itself gives only a line).
func xmlSyntaxError(format, text string, d *xml.Decoder, err error) error {
	msg := err.Error()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		msg = se.Msg
	}
	return syntaxErrorAt(format, text, int(d.InputOffset()), "%s", msg)
}

// checkXMLText rejects strings XML 1.0 cannot carry (control characters,
// invalid UTF-8): encoding/xml would silently replace them with U+FFFD.
func checkXMLText(s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return fmt.Errorf("%q: invalid UTF-8", s)
			}
		}
		if !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
			r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return fmt.Errorf("%q: character %U cannot be written in XML 1.0", s, r)
		}
	}
	return nil
}

func appendXMLEscaped(b *bytes.Buffer, s string) {
	// xml.EscapeText fails only when its writer does; a bytes.Buffer never does.
	_ = xml.EscapeText(b, []byte(s))
}
