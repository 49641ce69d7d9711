package formats

import (
	"runtime"
	"sort"
	"strings"
	"sync"
)

// csvSplit says how to cut the body of a csv text for parallel parsing.
type csvSplit struct {
	workers   int // goroutines; 1 parses sequentially
	chunkSize int // target bytes per chunk
}

// csvSequential parses on the calling goroutine.
func csvSequential() csvSplit { return csvSplit{workers: 1} }

// csvMinChunk keeps small texts sequential: below it the goroutines cost
// more than they save.
const csvMinChunk = 1 << 20

func csvParallelism() csvSplit {
	w := runtime.GOMAXPROCS(0)
	return csvSplit{workers: w, chunkSize: csvMinChunk}
}

// csvChunk is what one goroutine parsed: rows from begin, in a state
// assumed to be the start of a record, up to end, the first start of a
// non-empty record at or after stop (or the end of the text).
type csvChunk struct {
	begin, stop, end int
	rows             []Row
	starts           []int // text offset of each row's record
}

// parseCSVChunk parses records from begin until a non-empty record starts
// at or after stop.
func parseCSVChunk(text csvText, d csvDialect, t *csvTable, begin, stop int) csvChunk {
	c := csvChunk{begin: begin, stop: stop}
	r := newCSVReader(text, d, begin)
	b := csvRowBuilder{t: t, boxes: newCSVBoxes()}
	if hint := csvRowsHint(text.s, begin, stop); hint > 0 {
		c.rows = make([]Row, 0, hint)
		c.starts = make([]int, 0, hint)
	}
	for r.pos < len(text.s) {
		if r.pos >= stop && !r.atEOL(r.pos) {
			break
		}
		at := r.pos
		rec, _ := r.next()
		if len(rec) == 0 {
			continue // DictReader skips empty records
		}
		c.rows = append(c.rows, b.row(rec))
		c.starts = append(c.starts, at)
	}
	c.end = r.pos
	return c
}

// csvRowsHint estimates the rows between begin and stop from the line
// breaks there (a fast, vectorised count) so the row slices need not grow.
func csvRowsHint(s string, begin, stop int) int {
	if stop <= begin {
		return 0
	}
	part := s[begin:min(stop, len(s))]
	n := strings.Count(part, "\n")
	if n == 0 {
		n = strings.Count(part, "\r")
	}
	return n + 1
}

// parseCSVParallel parses the records from begin to the end of s.
//
// The body is cut after line breaks into chunks parsed concurrently, each
// assuming its first line starts a record. That guess is wrong only when a
// quoted field spans the cut, so it is checked: walking the chunks in
// order, the true parse of everything before chunk k ends at some record
// start pos. If chunk k began there, or also has a record starting at pos
// (both parses are then in the same state at the same place, and agree from
// there on), its rows from pos on are kept; otherwise it is parsed again
// from pos. The result is the sequential parse, whatever the cuts.
func parseCSVParallel(text csvText, d csvDialect, t *csvTable, begin int, par csvSplit) []Row {
	s := text.s
	cuts := csvCuts(s, begin, par)
	if len(cuts) == 1 {
		return parseCSVChunk(text, d, t, begin, len(s)).rows
	}
	chunks := make([]csvChunk, len(cuts))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(par.workers, len(cuts)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				stop := len(s)
				if k+1 < len(cuts) {
					stop = cuts[k+1]
				}
				chunks[k] = parseCSVChunk(text, d, t, cuts[k], stop)
			}
		}()
	}
	for k := range cuts {
		next <- k
	}
	close(next)
	wg.Wait()

	total := 0
	for _, c := range chunks {
		total += len(c.rows)
	}
	rows := make([]Row, 0, total)
	pos := begin
	for _, c := range chunks {
		switch {
		case pos >= c.end:
			continue // a record of an earlier chunk ran past this one
		case pos == c.begin:
			rows = append(rows, c.rows...)
		default:
			if i := sort.SearchInts(c.starts, pos); i < len(c.starts) && c.starts[i] == pos {
				rows = append(rows, c.rows[i:]...)
			} else {
				c = parseCSVChunk(text, d, t, pos, c.stop)
				rows = append(rows, c.rows...)
			}
		}
		pos = c.end
	}
	return rows
}

// csvCuts returns chunk starts: begin, then one line start after every
// chunkSize bytes.
func csvCuts(s string, begin int, par csvSplit) []int {
	cuts := []int{begin}
	if par.workers <= 1 || par.chunkSize <= 0 || len(s)-begin < 2*par.chunkSize {
		return cuts
	}
	for at := begin + par.chunkSize; at < len(s); at += par.chunkSize {
		cut := nextLineStart(s, at)
		if cut >= len(s) {
			break
		}
		if cut > cuts[len(cuts)-1] {
			cuts = append(cuts, cut)
		}
		at = cut
	}
	return cuts
}

// nextLineStart is the start of the first line beginning after i (a '\r'
// directly followed by '\n' is one break, so a cut never splits it).
func nextLineStart(s string, i int) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case '\n':
			return i + 1
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				return i + 2
			}
			return i + 1
		}
	}
	return len(s)
}
