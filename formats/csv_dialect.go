package formats

import (
	"bytes"
	"errors"
	"fmt"
)

// csvDialect is the part of a Python csv dialect that the reader uses.
// Girder Worker never sets an escape character and always quotes minimally.
type csvDialect struct {
	delim       byte
	quote       byte
	doubleQuote bool // "" inside quotes is one quote (else the quote closes)
	skipSpace   bool // spaces at the start of a field are dropped
}

// excelDialect is Python's csv.excel.
func excelDialect() csvDialect {
	return csvDialect{delim: ',', quote: '"', doubleQuote: true}
}

// sniffSampleStep is how much text Girder Worker hands the sniffer, and by
// how much it grows the sample while the sample has no complete line.
const sniffSampleStep = 5000

// ErrCSVDelimiter is wrapped by every failure to find the delimiter of a
// csv text (Python's csv.Error "Could not determine delimiter"), so callers
// can tell it from other parse errors with errors.Is.
var ErrCSVDelimiter = errors.New("could not determine the csv delimiter")

// chooseCSVDialect picks the dialect as Girder Worker's get_csv_reader does:
// the plain excel dialect when the text up to the first '\n' has neither a
// comma nor a tab, or when the text is a single line; otherwise the dialect
// Python's csv.Sniffer finds in a sample of whole lines, with
// skipinitialspace forced on.
func chooseCSVDialect(text []byte) (csvDialect, error) {
	first := text
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		first = text[:i]
	}
	if bytes.IndexByte(first, ',') < 0 && bytes.IndexByte(first, '\t') < 0 || pySingleLine(text) {
		return excelDialect(), nil
	}
	sample, err := sniffSample(text)
	if err != nil {
		return csvDialect{}, err
	}
	d, err := sniffCSV(sample)
	if err != nil {
		return csvDialect{}, err
	}
	d.skipSpace = true
	return d, nil
}

// pySingleLine reports whether Python's text.splitlines() has exactly one
// element.
func pySingleLine(text []byte) bool {
	if len(text) == 0 {
		return false
	}
	_, next, ok := pyLineEnd(text, 0)
	return !ok || next == len(text)
}

// pyLineEnd finds the end of the line starting at i as str.splitlines sees
// it (\n, \r\n or a bare \r). It returns where the line's content ends,
// where the next line starts, and whether a terminator was found.
func pyLineEnd(text []byte, i int) (end, next int, ok bool) {
	for j := i; j < len(text); j++ {
		switch text[j] {
		case '\n':
			return j, j + 1, true
		case '\r':
			if j+1 < len(text) && text[j+1] == '\n' {
				return j, j + 2, true
			}
			return j, j + 1, true
		}
	}
	return len(text), len(text), false
}

// sniffSample reproduces Girder Worker's sample: the lines of the first
// 5000·k characters, dropping the last (possibly partial) one, joined with
// '\n', for the smallest k that gives a non-empty sample.
//
// A line of the sample must end before min(5000·k, len(text)): the last
// line of the prefix is dropped whether partial or not, so the text's last
// line never counts. The sample is non-empty once it holds one non-empty
// line or two lines. When the text has no such line Girder Worker loops
// forever; this returns an error instead.
func sniffSample(text []byte) ([]byte, error) {
	type line struct{ start, end, next int }
	var lines []line
	need := -1 // index of the line that makes the sample non-empty
	for i := 0; i < len(text) && need < 0; {
		end, next, ok := pyLineEnd(text, i)
		if !ok {
			break // unterminated last line: never in a sample
		}
		lines = append(lines, line{i, end, next})
		if end > i || len(lines) == 2 {
			need = len(lines) - 1
		}
		i = next
	}
	if need < 0 || lines[need].next >= len(text) {
		return nil, fmt.Errorf("%w: the text has no complete line to sniff before its last line", ErrCSVDelimiter)
	}
	size := (lines[need].next/sniffSampleStep + 1) * sniffSampleStep
	limit := min(size, len(text))
	var b bytes.Buffer
	for i, first := 0, true; i < len(text); first = false {
		end, next, ok := pyLineEnd(text, i)
		if !ok || next >= limit {
			break
		}
		if !first {
			b.WriteByte('\n')
		}
		b.Write(text[i:end])
		i = next
	}
	return b.Bytes(), nil
}
