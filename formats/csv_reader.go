package formats

// csvReader splits text into records exactly as Python 2.7's csv.reader
// does when Girder Worker feeds it text.splitlines(): lines end at \n,
// \r\n or a bare \r, and the reader never sees the line breaks. So a quoted
// field that spans lines loses its line breaks ("a\nb" reads as "ab"), an
// empty line is an empty record, and text ending inside quotes ends the
// field there.
//
// Fields are substrings of the text when they can be (no doubled quote, no
// line break, nothing after the closing quote), so most cells cost no
// allocation. The caller checks for NUL bytes first (Python rejects any
// line holding one), so the reader need not.
type csvReader struct {
	b      []byte
	s      string // the same text as b
	d      csvDialect
	pos    int      // start of the next record, always at a line start
	fields []string // the current record, reused
	buf    []byte   // a field that is not a substring
	plain  csvStopper
	quoted csvStopper
}

func newCSVReader(t csvText, d csvDialect, pos int) *csvReader {
	return &csvReader{
		b: t.b, s: t.s, d: d, pos: pos,
		plain:  newCSVStopper(d.delim, '\r', '\n'), // ends an unquoted field
		quoted: newCSVStopper(d.quote, '\r', '\n'), // interrupts a quoted field
	}
}

// atEOL reports whether i ends a line.
func (r *csvReader) atEOL(i int) bool {
	return i >= len(r.s) || r.s[i] == '\r' || r.s[i] == '\n'
}

// skipEOL returns the start of the line after the line break at i.
func (r *csvReader) skipEOL(i int) int {
	switch {
	case i >= len(r.s):
		return len(r.s)
	case r.s[i] == '\r' && i+1 < len(r.s) && r.s[i+1] == '\n':
		return i + 2
	}
	return i + 1
}

// next reads the record at r.pos. ok is false at the end of the text; an
// empty line gives an empty (non-nil) record.
func (r *csvReader) next() (fields []string, ok bool) {
	s, i := r.s, r.pos
	if i >= len(s) {
		return nil, false
	}
	r.fields = r.fields[:0]
	if r.atEOL(i) {
		r.pos = r.skipEOL(i)
		return r.fields, true
	}
	for {
		// START_FIELD. Python tests quote, then leading space, then
		// delimiter; a space is never the quote, so skipping spaces first
		// is the same (and a space delimiter is skipped, as in Python).
		if r.d.skipSpace {
			for i < len(s) && s[i] == ' ' {
				i++
			}
		}
		if r.atEOL(i) {
			r.fields = append(r.fields, "")
			r.pos = r.skipEOL(i)
			return r.fields, true
		}
		var more bool
		switch c := s[i]; {
		case c == r.d.quote:
			i, more = r.quotedField(i + 1)
		case c == r.d.delim:
			r.fields = append(r.fields, "")
			i, more = i+1, true
		default:
			i, more = r.plainField(i, false)
		}
		if !more {
			return r.fields, true
		}
	}
}

// plainField reads an unquoted field (IN_FIELD) from i, appended to r.buf
// when withPrefix (the field began quoted). It returns where the next field
// starts and whether one follows on this record.
func (r *csvReader) plainField(i int, withPrefix bool) (int, bool) {
	s := r.s
	j := r.plain.scan(r.b, i)
	if withPrefix {
		r.buf = append(r.buf, s[i:j]...)
		r.fields = append(r.fields, r.bufString())
	} else {
		r.fields = append(r.fields, s[i:j])
	}
	if j < len(s) && s[j] == r.d.delim {
		return j + 1, true
	}
	r.pos = r.skipEOL(j)
	return r.pos, false
}

// quotedField reads a quoted field whose content starts at i
// (IN_QUOTED_FIELD) and what follows its closing quote.
func (r *csvReader) quotedField(i int) (int, bool) {
	s := r.s
	start := i
	inBuf := false // the field so far is in r.buf, not s[start:i]
	toBuf := func(upTo int) {
		if !inBuf {
			r.buf = append(r.buf[:0], s[start:upTo]...)
			inBuf = true
		} else {
			r.buf = append(r.buf, s[i:upTo]...)
		}
	}
	for {
		k := r.quoted.scan(r.b, i)
		if r.atEOL(k) {
			// The line ends inside quotes: Python sees no line break and
			// goes on with the next line; at the end of the text the
			// field ends here.
			toBuf(k)
			i = r.skipEOL(k)
			if i >= len(s) {
				r.fields = append(r.fields, r.bufString())
				r.pos = len(s)
				return r.pos, false
			}
			continue
		}
		// s[k] is the quote.
		after := k + 1
		if r.d.doubleQuote && after < len(s) && s[after] == r.d.quote {
			toBuf(after) // keeps one of the two quotes
			i = after + 1
			continue
		}
		// The quote closes the quoted part (QUOTE_IN_QUOTED_FIELD with
		// doublequote, IN_FIELD without: the same from here on).
		switch {
		case r.atEOL(after):
			r.fields = append(r.fields, r.finishQuoted(s, start, k, inBuf, i))
			r.pos = r.skipEOL(after)
			return r.pos, false
		case s[after] == r.d.delim:
			r.fields = append(r.fields, r.finishQuoted(s, start, k, inBuf, i))
			return after + 1, true
		}
		// Text after the closing quote is kept, unquoted: "ab"cd is abcd.
		toBuf(k)
		return r.plainField(after, true)
	}
}

// finishQuoted is the value of a quoted field closed at k.
func (r *csvReader) finishQuoted(s string, start, k int, inBuf bool, i int) string {
	if !inBuf {
		return s[start:k]
	}
	r.buf = append(r.buf, s[i:k]...)
	return r.bufString()
}

func (r *csvReader) bufString() string { return string(r.buf) }
