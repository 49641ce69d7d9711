package formats

import (
	"bytes"
	"fmt"
)

// Rows is the in-memory form of table/rows. Cells are held per row in field
// order instead of a map per row: a 100 MB csv parses several times faster
// and in far less memory. Its JSON form is Girder Worker's
// {"fields": [...], "rows": [{field: value, ...}, ...]}.
type Rows struct {
	Fields []string
	Rows   []Row
}

// Row is one record: Cells align with Rows.Fields, Missing marks a key the
// record does not have; Extra holds keys that are not fields (rare: csv
// lines longer than the header). When a field name repeats (a csv header
// naming a column twice), the value lives in the last column of that name
// and the earlier ones hold Missing, as a dict keeps the last key.
type Row struct {
	Cells []any
	Extra map[string]any
}

type missing struct{}

func (missing) String() string { return "<missing>" }

// Missing marks a cell whose key is absent from its record.
var Missing any = missing{}

// IsMissing reports whether a cell is the Missing marker.
func IsMissing(v any) bool { _, ok := v.(missing); return ok }

// AppendJSON writes the rows form with each record's keys in fields order.
func (r *Rows) AppendJSON(b *bytes.Buffer) error {
	// Quote each field name once, not once per row.
	var names bytes.Buffer
	keys := make([][]byte, len(r.Fields))
	for i, f := range r.Fields {
		start := names.Len()
		appendString(&names, f)
		names.WriteByte(':')
		keys[i] = names.Bytes()[start:names.Len():names.Len()]
	}
	b.WriteString(`{"fields":[`)
	for i := range r.Fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(keys[i][:len(keys[i])-1])
	}
	b.WriteString(`],"rows":[`)
	for i, row := range r.Rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		n := 0
		for j, c := range row.Cells {
			if IsMissing(c) || j >= len(r.Fields) {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			b.Write(keys[j])
			if err := appendJSON(b, c); err != nil {
				return err
			}
		}
		if len(row.Extra) > 0 {
			extra, err := EncodeJSON(row.Extra)
			if err != nil {
				return err
			}
			inner := extra[1 : len(extra)-1]
			if n > 0 && len(inner) > 0 {
				b.WriteByte(',')
			}
			b.Write(inner)
		}
		b.WriteByte('}')
	}
	b.WriteString("]}")
	return nil
}

// Map returns record i as a map (for code that wants Girder Worker's shape).
func (r *Rows) Map(i int) map[string]any {
	row := r.Rows[i]
	m := make(map[string]any, len(r.Fields)+len(row.Extra))
	for j, c := range row.Cells {
		if j < len(r.Fields) && !IsMissing(c) {
			m[r.Fields[j]] = c
		}
	}
	for k, v := range row.Extra {
		m[k] = v
	}
	return m
}

// RowsFromJSON builds Rows from the JSON-like rows form
// {"fields": [...], "rows": [{...}, ...]}; keys not in fields go to Extra.
func RowsFromJSON(v any) (*Rows, error) {
	if r, ok := v.(*Rows); ok {
		if r == nil {
			return nil, fmt.Errorf("table/rows value is missing")
		}
		return r, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("table/rows must be an object with \"fields\" and \"rows\", got %s", TypeName(v))
	}
	rawFields, okF := m["fields"]
	rawRows, okR := m["rows"]
	if !okF || !okR {
		return nil, fmt.Errorf("table/rows must have both \"fields\" and \"rows\" keys")
	}
	fl, ok := rawFields.([]any)
	if !ok {
		return nil, fmt.Errorf("table/rows \"fields\" must be a list, got %s", TypeName(rawFields))
	}
	out := &Rows{Fields: make([]string, len(fl))}
	index := make(map[string]int, len(fl))
	for i, f := range fl {
		s, ok := f.(string)
		if !ok {
			return nil, fmt.Errorf("table/rows field %d must be a string, got %s", i, TypeName(f))
		}
		out.Fields[i] = s
		index[s] = i
	}
	rl, ok := rawRows.([]any)
	if !ok {
		return nil, fmt.Errorf("table/rows \"rows\" must be a list, got %s", TypeName(rawRows))
	}
	out.Rows = make([]Row, len(rl))
	for i, r := range rl {
		rm, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("table/rows row %d must be an object, got %s", i, TypeName(r))
		}
		cells := make([]any, len(fl))
		for j := range cells {
			cells[j] = Missing
		}
		var extra map[string]any
		for k, val := range rm {
			if j, ok := index[k]; ok {
				cells[j] = val
			} else {
				if extra == nil {
					extra = map[string]any{}
				}
				extra[k] = val
			}
		}
		out.Rows[i] = Row{Cells: cells, Extra: extra}
	}
	return out, nil
}

// TypeName names the JSON type of a JSON-like value, for error messages.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, int, int32:
		return "integer"
	case float64, float32:
		return "float"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	case *Rows:
		return "rows"
	}
	return fmt.Sprintf("%T", v)
}
