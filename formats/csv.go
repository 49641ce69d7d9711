package formats

import (
	"bytes"
	"fmt"
)

// ParseCSV reads csv (or tsv: Girder Worker uses the same sniffing parser
// for both) text into Rows exactly as Girder Worker's csv_to_rows does:
//
//   - dialect: plain excel (comma, double quotes) when the first line has
//     neither a comma nor a tab or the text is one line; otherwise the
//     delimiter and quote Python's csv.Sniffer finds in the first 5000
//     characters (whole lines only), with leading spaces of fields
//     skipped;
//   - lines end at \n, \r\n or a bare \r; empty lines are skipped;
//   - the first record is always the header, even an empty one;
//   - a short record gets null for its missing fields; a long one keeps
//     its extra values, as strings, in a list under the key "null"
//     (Python's None);
//   - every cell becomes an int64 if Python's int() reads it, else a
//     float64 if float() does and the result is finite, else stays the
//     string it was.
//
// Repeated header names behave like Python's dict(zip(header, record)):
// the value is the one of the name's last column, held in that column's
// cell; the earlier columns of the name hold Missing.
//
// Large texts are parsed on all CPUs (see parseCSVParallel); the result
// does not depend on how the text was split.
func ParseCSV(text []byte) (*Rows, error) {
	return parseCSV(text, csvParallelism())
}

// CSVColumnNames is Girder Worker's csv → column.names: the header that
// ParseCSV finds when given only the text up to and including the first
// '\n' (Python's readline). For a file with bare-\r line ends that is the
// whole text, as it was for Girder Worker.
func CSVColumnNames(text []byte) ([]string, error) {
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		text = text[:i+1]
	}
	r, err := parseCSV(text, csvSequential())
	if err != nil {
		return nil, err
	}
	return r.Fields, nil
}

func parseCSV(text []byte, par csvSplit) (*Rows, error) {
	d, err := chooseCSVDialect(text)
	if err != nil {
		return nil, err
	}
	if i := bytes.IndexByte(text, 0); i >= 0 {
		return nil, fmt.Errorf("csv line %d contains a NUL byte (at byte offset %d)", pyLineNumber(text, i), i)
	}
	// One copy of the whole text: every cell that needs no unquoting is
	// a substring of it, with no allocation of its own.
	t := newCSVText(text)
	hdr := newCSVReader(t, d, 0)
	header, ok := hdr.next()
	if !ok {
		// Python's DictReader gives fieldnames None for an empty text;
		// an empty table is the useful equivalent.
		return &Rows{Fields: []string{}, Rows: []Row{}}, nil
	}
	table := newCSVTable(append([]string(nil), header...))
	rows := parseCSVParallel(t, d, table, hdr.pos, par)
	return &Rows{Fields: table.fields, Rows: rows}, nil
}

// pyLineNumber is the 1-based number of the line holding byte off, lines
// counted as str.splitlines counts them.
func pyLineNumber(text []byte, off int) int {
	line := 1
	for i := 0; i < off; i++ {
		switch text[i] {
		case '\n':
			line++
		case '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			line++
		}
	}
	return line
}

// csvTable turns records into rows for one header.
type csvTable struct {
	fields []string
	// shadowed marks header columns whose name repeats later: the
	// value lives in the last column of the name.
	shadowed []bool
}

func newCSVTable(fields []string) *csvTable {
	t := &csvTable{fields: fields}
	last := make(map[string]int, len(fields))
	for j, f := range fields {
		if prev, ok := last[f]; ok {
			if t.shadowed == nil {
				t.shadowed = make([]bool, len(fields))
			}
			t.shadowed[prev] = true
		}
		last[f] = j
	}
	return t
}

// csvRowBuilder allocates the cells of many rows at once and boxes their
// values without an allocation each (see csvBoxes).
type csvRowBuilder struct {
	t        *csvTable
	slab     []any
	slabRows int // rows in the last slab
	boxes    *csvBoxes
}

const csvSlabRows = 512

// row builds the Row of a non-empty record.
func (b *csvRowBuilder) row(rec []string) Row {
	lf := len(b.t.fields)
	if len(b.slab) < lf {
		// Like the value slabs, start small and grow.
		b.slabRows = min(max(2*b.slabRows, 4), csvSlabRows)
		b.slab = make([]any, lf*b.slabRows)
	}
	cells := b.slab[:lf:lf]
	b.slab = b.slab[lf:]
	n := min(lf, len(rec))
	for j, f := range rec[:n] {
		switch kind, i, x := parseCSVCell(f); kind {
		case cellInt:
			cells[j] = b.boxes.int(i)
		case cellFloat:
			cells[j] = b.boxes.float(x)
		default:
			cells[j] = b.boxes.str(f)
		}
	}
	for j := n; j < lf; j++ {
		cells[j] = nil // Python's restval None
	}
	for j, sh := range b.t.shadowed {
		if sh {
			cells[j] = Missing
		}
	}
	var extra map[string]any
	if len(rec) > lf {
		rest := make([]any, len(rec)-lf)
		for i, f := range rec[lf:] {
			rest[i] = f
		}
		// Python's restkey None, which json.dumps writes as "null".
		extra = map[string]any{"null": rest}
	}
	return Row{Cells: cells, Extra: extra}
}
