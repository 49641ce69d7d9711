package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// parseJSON builds the node tree of a JSON document.
//
// Syntax is checked first with json.Unmarshal, whose SyntaxError offsets are
// absolute (the Decoder's are relative to the value being scanned); the tree
// is then built from Decoder.Token, whose InputOffset gives every token's
// position.
func parseJSON(li *lineIndex) (*node, Diagnostics) {
	var raw json.RawMessage
	if err := json.Unmarshal(li.data, &raw); err != nil {
		return nil, Diagnostics{jsonSyntaxDiag(li, err)}
	}
	r := &jsonReader{li: li, dec: json.NewDecoder(bytes.NewReader(li.data))}
	r.dec.UseNumber()
	tok, start, err := r.next()
	if err != nil {
		return nil, Diagnostics{errorAt(li.pos(len(li.data)), "JSON syntax error: %v", err)}
	}
	n, err := r.value(tok, start)
	if err != nil {
		// Unmarshal accepted the document, so this cannot happen; report
		// it rather than trust that.
		return nil, append(r.diags, errorAt(li.pos(len(li.data)), "JSON syntax error: %v", err))
	}
	return n, r.diags
}

func jsonSyntaxDiag(li *lineIndex, err error) Diagnostic {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		if strings.HasPrefix(se.Error(), "unexpected end of JSON input") {
			return errorAt(li.pos(len(li.data)), "JSON syntax error: unexpected end of file: the file is truncated or a closing } or ] is missing")
		}
		// Offset counts the bytes read including the offending one.
		return errorAt(li.pos(int(se.Offset)-1), "JSON syntax error: %s", se.Error())
	}
	return errorAt(li.pos(0), "JSON syntax error: %v", err)
}

type jsonReader struct {
	li    *lineIndex
	dec   *json.Decoder
	diags Diagnostics
}

// next reads a token and the offset where it starts: InputOffset is the end
// of the previous token, and only blanks and separators lie in between.
func (r *jsonReader) next() (json.Token, int, error) {
	off := int(r.dec.InputOffset())
	for off < len(r.li.data) && strings.IndexByte(" \t\r\n,:", r.li.data[off]) >= 0 {
		off++
	}
	tok, err := r.dec.Token()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return tok, off, err
}

func (r *jsonReader) value(tok json.Token, start int) (*node, error) {
	pos := r.li.pos(start)
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return r.object(pos)
		}
		if t == '[' {
			return r.array(pos)
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return &node{kind: stringNode, pos: pos, text: t, textPos: r.li.pos(start + 1)}, nil
	case json.Number:
		n, ok := parseNumber(string(t))
		if !ok {
			return nil, fmt.Errorf("bad number %s", t)
		}
		n.pos = pos
		return n, nil
	case bool:
		return &node{kind: boolNode, pos: pos, b: t, text: fmt.Sprint(t)}, nil
	case nil:
		return &node{kind: nullNode, pos: pos, text: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

func (r *jsonReader) object(pos Pos) (*node, error) {
	n := &node{kind: mapNode, pos: pos}
	for {
		tok, start, err := r.next()
		if err != nil {
			return nil, err
		}
		if tok == json.Delim('}') {
			return n, nil
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("object key is %v", tok)
		}
		keyPos := r.li.pos(start)
		tok, start, err = r.next()
		if err != nil {
			return nil, err
		}
		val, err := r.value(tok, start)
		if err != nil {
			return nil, err
		}
		if prev := n.get(key); prev != nil {
			r.diags = append(r.diags, errorAt(keyPos, "duplicate key %s (first at %s); remove one", q(key), shortPos(prev.keyPos)))
			continue
		}
		n.entries = append(n.entries, entry{key: key, keyPos: keyPos, val: val})
	}
}

func (r *jsonReader) array(pos Pos) (*node, error) {
	n := &node{kind: listNode, pos: pos}
	for {
		tok, start, err := r.next()
		if err != nil {
			return nil, err
		}
		if tok == json.Delim(']') {
			return n, nil
		}
		val, err := r.value(tok, start)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, val)
	}
}
