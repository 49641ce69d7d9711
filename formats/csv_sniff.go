package formats

import (
	"bytes"
	"fmt"
	"sort"
)

// sniffCSV is Python 2.7's csv.Sniffer().sniff(sample): first look for
// quoted fields between delimiters, else for a character that occurs the
// same number of times on most lines. The regular expressions of
// _guess_quote_and_delimiter use back-references, which Go's regexp lacks,
// so each is matched by hand below with the same leftmost, non-overlapping
// findall semantics.
func sniffCSV(sample []byte) (csvDialect, error) {
	quote, doubleQuote, delim, ok := guessQuoteAndDelimiter(sample)
	if !ok {
		delim, ok = guessDelimiter(sample)
	}
	if !ok {
		return csvDialect{}, fmt.Errorf("%w: no character separates the fields of the first lines consistently", ErrCSVDelimiter)
	}
	if quote == 0 {
		quote = '"' // Python: quotechar or '"'
	}
	return csvDialect{delim: delim, quote: quote, doubleQuote: doubleQuote}, nil
}

// isPyWord is Python 2's \w on byte strings: [a-zA-Z0-9_].
func isPyWord(c byte) bool {
	return c == '_' || c-'0' <= 9 || c|0x20-'a' <= 'z'-'a'
}

func isSniffQuote(c byte) bool { return c == '"' || c == '\'' }

// isSniffDelim is the sniffer's delimiter class [^\w\n"'].
func isSniffDelim(c byte) bool { return !isPyWord(c) && c != '\n' && !isSniffQuote(c) }

// sniffMatch is one regexp match: its quote and, for the first three
// patterns, its delimiter.
type sniffMatch struct {
	quote byte
	delim byte
	has   bool // delim is set
}

// quoteCloser finds, for an opening quote, the first closing quote at or
// after a position that is followed by what a pattern requires. The
// candidates are indexed once so a long sample is not scanned again for
// every opening quote.
type quoteCloser struct {
	data    []byte
	byNext  map[[2]byte][]int // quote followed by a given byte
	byDelim map[byte][]int    // quote followed by a delimiter-class byte
	byEOL   map[byte][]int    // quote followed by '\n' or the end
}

func newQuoteCloser(data []byte) *quoteCloser {
	c := &quoteCloser{data: data, byNext: map[[2]byte][]int{}, byDelim: map[byte][]int{}, byEOL: map[byte][]int{}}
	for k, b := range data {
		if !isSniffQuote(b) {
			continue
		}
		if k+1 == len(data) || data[k+1] == '\n' {
			c.byEOL[b] = append(c.byEOL[b], k)
			continue
		}
		next := data[k+1]
		c.byNext[[2]byte{b, next}] = append(c.byNext[[2]byte{b, next}], k)
		if isSniffDelim(next) {
			c.byDelim[b] = append(c.byDelim[b], k)
		}
	}
	return c
}

func firstAtOrAfter(list []int, from int) int {
	i := sort.SearchInts(list, from)
	if i == len(list) {
		return -1
	}
	return list[i]
}

// findQuoted runs the four regexps of _guess_quote_and_delimiter in turn
// and returns the matches of the first that matches at all:
//
//	1  (?P<delim>[^\w\n"'])(?P<space> ?)(?P<quote>["']).*?(?P=quote)(?P=delim)
//	2  (?:^|\n)(?P<quote>["']).*?(?P=quote)(?P<delim>[^\w\n"'])(?P<space> ?)
//	3  (?P<delim>[^\w\n"'])(?P<space> ?)(?P<quote>["']).*?(?P=quote)(?:$|\n)
//	4  (?:^|\n)(?P<quote>["']).*?(?P=quote)(?:$|\n)
//
// (DOTALL and MULTILINE; 3 is the form of Python 2.7.18, after the fix of
// bpo-30157.) The lazy .*? makes every match end at the first suitable
// closing quote, and a failed match at one position moves on by one byte.
func findQuoted(data []byte) []sniffMatch {
	qc := newQuoteCloser(data)
	n := len(data)
	// openAfterDelim matches "delim, optional space, quote" at i and
	// returns the quote's position (the greedy space cannot backtrack
	// usefully: without it the next byte, a space, is no quote).
	openAfterDelim := func(i int) (q, j int, ok bool) {
		if !isSniffDelim(data[i]) {
			return 0, 0, false
		}
		j = i + 1
		if j < n && data[j] == ' ' {
			j++
		}
		if j < n && isSniffQuote(data[j]) {
			return int(data[j]), j, true
		}
		return 0, 0, false
	}
	// openAtLineStart matches (?:^|\n) then a quote at i and returns the
	// quote's positions to try, ^ first.
	openAtLineStart := func(i int) []int {
		var js []int
		if (i == 0 || data[i-1] == '\n') && isSniffQuote(data[i]) {
			js = append(js, i)
		}
		if data[i] == '\n' && i+1 < n && isSniffQuote(data[i+1]) {
			js = append(js, i+1)
		}
		return js
	}
	var out []sniffMatch
	// Pattern 1: ,"…",
	for i := 0; i < n; {
		if q, j, ok := openAfterDelim(i); ok {
			d := data[i]
			if k := firstAtOrAfter(qc.byNext[[2]byte{byte(q), d}], j+1); k >= 0 {
				out = append(out, sniffMatch{quote: byte(q), delim: d, has: true})
				i = k + 2
				continue
			}
		}
		i++
	}
	if len(out) > 0 {
		return out
	}
	// Pattern 2: "…", at a line start.
	for i := 0; i < n; {
		matched := false
		for _, j := range openAtLineStart(i) {
			q := data[j]
			if k := firstAtOrAfter(qc.byDelim[q], j+1); k >= 0 {
				out = append(out, sniffMatch{quote: q, delim: data[k+1], has: true})
				i = k + 2
				if i < n && data[i] == ' ' {
					i++
				}
				matched = true
				break
			}
		}
		if !matched {
			i++
		}
	}
	if len(out) > 0 {
		return out
	}
	// Pattern 3: ,"…" at a line end.
	for i := 0; i < n; {
		if q, j, ok := openAfterDelim(i); ok {
			if k := firstAtOrAfter(qc.byEOL[byte(q)], j+1); k >= 0 {
				out = append(out, sniffMatch{quote: byte(q), delim: data[i], has: true})
				i = k + 1
				continue
			}
		}
		i++
	}
	if len(out) > 0 {
		return out
	}
	// Pattern 4: a whole line quoted: a quote but no delimiter.
	for i := 0; i < n; {
		matched := false
		for _, j := range openAtLineStart(i) {
			q := data[j]
			if k := firstAtOrAfter(qc.byEOL[q], j+1); k >= 0 {
				out = append(out, sniffMatch{quote: q})
				i = k + 1
				matched = true
				break
			}
		}
		if !matched {
			i++
		}
	}
	return out
}

// guessQuoteAndDelimiter is Sniffer._guess_quote_and_delimiter. ok is
// false when no delimiter was found this way (the quote may still be set:
// a column of quoted values).
func guessQuoteAndDelimiter(data []byte) (quote byte, doubleQuote bool, delim byte, ok bool) {
	matches := findQuoted(data)
	if len(matches) == 0 {
		return 0, false, 0, false
	}
	quotes := newPyCounter()
	delims := newPyCounter()
	for _, m := range matches {
		quotes.add(m.quote)
		if m.has {
			delims.add(m.delim)
		}
	}
	quote = quotes.argmax()
	if len(delims.order) > 0 {
		delim, ok = delims.argmax(), true
	}
	return quote, hasDoubledQuote(data, delim, ok, quote), delim, ok
}

// hasDoubledQuote tells whether Python's
//
//	((D)|^)\W*Q[^D\n]*Q[^D\n]*Q\W*((D)|$)      (MULTILINE)
//
// matches somewhere, D the delimiter (empty when there is none, which
// makes both outer groups match anywhere) and Q the quote. That is: a
// stretch free of D and newlines holding three quotes, whose first quote
// is reached from a D, a line start or the text start over non-word
// characters, and whose last quote reaches a D, a newline or the text end
// over non-word characters. Taking the first and last quote of each stretch
// is enough: any other choice only shortens the non-word runs.
func hasDoubledQuote(data []byte, delim byte, hasDelim bool, q byte) bool {
	isBreak := func(c byte) bool { return c == '\n' || (hasDelim && c == delim) }
	for start := 0; start <= len(data); {
		end := start
		for end < len(data) && !isBreak(data[end]) {
			end++
		}
		if first, last, count := quoteSpan(data[start:end], q); count >= 3 {
			if !hasDelim {
				return true
			}
			if reachesBreakLeft(data, start+first, isBreak) && reachesBreakRight(data, start+last, isBreak) {
				return true
			}
		}
		start = end + 1
	}
	return false
}

func quoteSpan(span []byte, q byte) (first, last, count int) {
	first = bytes.IndexByte(span, q)
	if first < 0 {
		return 0, 0, 0
	}
	last = bytes.LastIndexByte(span, q)
	return first, last, bytes.Count(span, []byte{q})
}

// reachesBreakLeft: walking left from a over non-word bytes meets a break
// byte or the start of the text.
func reachesBreakLeft(data []byte, a int, isBreak func(byte) bool) bool {
	for p := a - 1; p >= 0; p-- {
		if isBreak(data[p]) {
			return true
		}
		if isPyWord(data[p]) {
			return false
		}
	}
	return true
}

// reachesBreakRight: walking right from c over non-word bytes meets a
// break byte or the end of the text.
func reachesBreakRight(data []byte, c int, isBreak func(byte) bool) bool {
	for p := c + 1; p < len(data); p++ {
		if isBreak(data[p]) {
			return true
		}
		if isPyWord(data[p]) {
			return false
		}
	}
	return true
}

// sniffPreferred is the sniffer's tie-break among consistent characters.
const sniffPreferred = ",\t; :"

// guessDelimiter is Sniffer._guess_delimiter: per chunk of ten non-empty
// lines, build for each 7-bit character the frequency of its per-line
// counts, take the mode, and accept characters whose mode holds on at
// least 100%, 99%, … 90% of the lines seen.
func guessDelimiter(data []byte) (byte, bool) {
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte{'\n'}) {
		if len(l) > 0 {
			lines = append(lines, l)
		}
	}
	chunkLength := min(10, len(lines))
	iteration := 0
	var charFrequency [127]map[int]int // char → per-line count → number of lines
	modes := map[byte][2]int{}         // char → (count, adjusted number of lines)
	delims := map[byte][2]int{}
	start, end := 0, chunkLength
	for start < len(lines) {
		iteration++
		for _, line := range lines[start:min(end, len(lines))] {
			var counts [256]int
			for _, c := range line {
				counts[c]++
			}
			for c := range charFrequency {
				if charFrequency[c] == nil {
					charFrequency[c] = map[int]int{}
				}
				charFrequency[c][counts[c]]++
			}
		}
		for c, freq := range charFrequency {
			if len(freq) == 1 && freq[0] > 0 {
				continue // never seen
			}
			modes[byte(c)] = sniffMode(freq)
		}
		total := float64(chunkLength * iteration)
		for consistency := 1.0; len(delims) == 0 && consistency >= 0.9; consistency -= 0.01 {
			for c, v := range modes {
				if v[0] > 0 && v[1] > 0 && float64(v[1])/total >= consistency {
					delims[c] = v
				}
			}
		}
		if len(delims) == 1 {
			for c := range delims {
				return c, true
			}
		}
		start = end
		end += chunkLength
	}
	if len(delims) == 0 {
		return 0, false
	}
	for i := 0; i < len(sniffPreferred); i++ {
		if _, ok := delims[sniffPreferred[i]]; ok {
			return sniffPreferred[i], true
		}
	}
	// Python sorts (mode, char) pairs and takes the largest.
	var best byte
	var bestV [2]int
	first := true
	for c, v := range delims {
		if first || v[0] > bestV[0] || v[0] == bestV[0] && (v[1] > bestV[1] || v[1] == bestV[1] && c > best) {
			best, bestV, first = c, v, false
		}
	}
	return best, true
}

// sniffMode is the most frequent per-line count of a character and the
// number of lines having it minus the lines having any other count. On a
// tie Python's pick depends on dict order, but a tied mode's adjusted
// number is never positive, so it is never a candidate either way.
func sniffMode(freq map[int]int) [2]int {
	var mode [2]int
	first := true
	total := 0
	for count, lines := range freq {
		total += lines
		if first || lines > mode[1] || lines == mode[1] && count > mode[0] {
			mode, first = [2]int{count, lines}, false
		}
	}
	if len(freq) == 1 {
		return mode
	}
	return [2]int{mode[0], mode[1] - (total - mode[1])}
}
