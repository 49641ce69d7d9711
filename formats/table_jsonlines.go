package formats

import (
	"bytes"
	"fmt"
)

// ParseJSONLines is table jsonlines → objectlist: one JSON object per line
// (lines end at \n, \r\n or \r, as Python's splitlines has them). A blank
// line is an error, as it was for Girder Worker, and so is a line holding
// anything but an object. Objects such as {"$oid": …} stay plain objects.
func ParseJSONLines(text []byte) ([]any, error) {
	if err := CheckUTF8Text(text); err != nil {
		return nil, fmt.Errorf("jsonlines: %w", err)
	}
	var out []any
	for i, line := 0, 1; i < len(text); line++ {
		end, next, _ := pyLineEnd(text, i)
		l := text[i:end]
		if len(bytes.TrimSpace(l)) == 0 {
			return nil, fmt.Errorf("jsonlines: line %d is blank (each line must hold one JSON object)", line)
		}
		v, err := ParseJSONText(l)
		if err != nil {
			return nil, fmt.Errorf("jsonlines: line %d: %w", line, err)
		}
		if _, ok := v.(map[string]any); !ok {
			return nil, fmt.Errorf("jsonlines: line %d: expected a JSON object, got %s", line, Describe(v))
		}
		out = append(out, v)
		i = next
	}
	if out == nil {
		out = []any{}
	}
	return out, nil
}

// WriteJSONLines is table objectlist → jsonlines, which Girder Worker did
// not have: each object as canonical JSON (sorted keys, compact) on its
// own line, each line ending in "\n".
func WriteJSONLines(list []any) ([]byte, error) {
	var b bytes.Buffer
	for i, el := range list {
		if _, ok := el.(map[string]any); !ok {
			return nil, fmt.Errorf("jsonlines: element %d: expected an object, got %s", i, Describe(el))
		}
		if err := appendJSON(&b, el); err != nil {
			return nil, fmt.Errorf("jsonlines: element %d: %w", i, err)
		}
		b.WriteByte('\n')
	}
	if b.Len() == 0 {
		return []byte{}, nil // empty text, not a missing payload
	}
	return b.Bytes(), nil
}
