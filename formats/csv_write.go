package formats

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// WriteCSV writes rows as Python 2.7's csv.DictWriter does with the excel
// dialect (delim ',') or excel-tab (delim '\t'): a header line of Fields,
// then one line per row, every line ending in CRLF; a value is quoted only
// when it holds the delimiter, a double quote (doubled inside) or a line
// break, or when it is the only, empty, value of its line. Cells are
// written as Python's str() writes them: null and Missing as nothing,
// booleans as True/False, floats as repr (1.0, 1e+16, nan). Lists and
// objects, which Python would write as their repr, are written as JSON.
//
// A row with a key that is not a field is an error (Python's "dict
// contains fields not in fieldnames"), as is a value holding a NUL byte
// (Python 2 silently cut the value there).
func WriteCSV(r *Rows, delim byte) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("write csv: no rows")
	}
	switch delim {
	case '"', '\r', '\n', 0:
		return nil, fmt.Errorf("write csv: %q cannot be the delimiter", delim)
	}
	w := csvWriter{delim: delim}
	w.special['"'], w.special['\r'], w.special['\n'], w.special[delim] = true, true, true, true
	w.dups = csvDuplicateColumns(r.Fields)
	w.b = make([]byte, 0, 4096)

	for j, f := range r.Fields {
		if err := w.field(j, len(r.Fields), f); err != nil {
			return nil, fmt.Errorf("write csv: field %d: %w", j, err)
		}
	}
	w.b = append(w.b, '\r', '\n')
	for i := range r.Rows {
		if i == csvSizeSample && len(r.Rows) > 2*csvSizeSample {
			// Size the output from the rows written so far, so a big
			// table is not copied again and again as the buffer grows.
			perRow := len(w.b) / (csvSizeSample + 1)
			w.b = slices.Grow(w.b, perRow*(len(r.Rows)-i)*9/8)
		}
		row := &r.Rows[i]
		if len(row.Extra) > 0 {
			keys := make([]string, 0, len(row.Extra))
			for k := range row.Extra {
				keys = append(keys, strconv.Quote(k))
			}
			sort.Strings(keys)
			return nil, fmt.Errorf("write csv: row %d has keys that are not fields: %s", i, strings.Join(keys, ", "))
		}
		for j := range r.Fields {
			if err := w.field(j, len(r.Fields), w.cell(row, j)); err != nil {
				return nil, fmt.Errorf("write csv: row %d, field %q: %w", i, r.Fields[j], err)
			}
		}
		w.b = append(w.b, '\r', '\n')
	}
	return w.b, nil
}

type csvWriter struct {
	b       []byte
	delim   byte
	special [256]bool // bytes that make a value quoted
	dups    [][]int   // per column, all columns of its name (nil: no repeats)
}

// cell is the value written in column j: with a repeated field name,
// Python looks the name up in the row dict, so every column of the name
// shows the one value (kept in the last column that has it).
func (w *csvWriter) cell(row *Row, j int) any {
	if w.dups == nil || w.dups[j] == nil {
		if j < len(row.Cells) {
			return row.Cells[j]
		}
		return Missing
	}
	cols := w.dups[j]
	for k := len(cols) - 1; k >= 0; k-- {
		if c := cols[k]; c < len(row.Cells) && !IsMissing(row.Cells[c]) {
			return row.Cells[c]
		}
	}
	return Missing
}

// field appends value v as column j of a line of n columns.
func (w *csvWriter) field(j, n int, v any) error {
	if j > 0 {
		w.b = append(w.b, w.delim)
	}
	switch x := v.(type) {
	case string:
		return w.text(x, n)
	case int64:
		w.b = strconv.AppendInt(w.b, x, 10)
	case float64:
		w.b = appendPyReprFloat(w.b, x)
	case bool:
		if x {
			w.b = append(w.b, "True"...)
		} else {
			w.b = append(w.b, "False"...)
		}
	case nil:
		return w.text("", n)
	default:
		if IsMissing(v) {
			return w.text("", n)
		}
		js, err := EncodeJSON(v)
		if err != nil {
			return err
		}
		return w.text(string(js), n)
	}
	return nil
}

func (w *csvWriter) text(s string, n int) error {
	quote := s == "" && n == 1 // Python quotes a line's only, empty, value
	for i := 0; i < len(s); i++ {
		if w.special[s[i]] {
			quote = true
		}
		if s[i] == 0 {
			return fmt.Errorf("value %s holds a NUL byte", Excerpt([]byte(s)))
		}
	}
	if !quote {
		w.b = append(w.b, s...)
		return nil
	}
	w.b = append(w.b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		w.b = append(w.b, s[:i+1]...)
		w.b = append(w.b, '"')
		s = s[i+1:]
	}
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
	return nil
}

// csvDuplicateColumns maps each column whose name repeats to all the
// columns of that name; nil when no name repeats.
func csvDuplicateColumns(fields []string) [][]int {
	byName := make(map[string][]int, len(fields))
	repeated := false
	for j, f := range fields {
		byName[f] = append(byName[f], j)
		repeated = repeated || len(byName[f]) > 1
	}
	if !repeated {
		return nil
	}
	out := make([][]int, len(fields))
	for j, f := range fields {
		if cols := byName[f]; len(cols) > 1 {
			out[j] = cols
		}
	}
	return out
}

// csvSizeSample is how many rows are written before the output buffer is
// sized for the whole table.
const csvSizeSample = 256
