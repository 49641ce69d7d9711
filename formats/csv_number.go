package formats

import (
	"math"
	"strconv"
)

// csvCell coerces one csv cell as Girder Worker's csv_to_rows does: Python
// 2 int(s) when that succeeds, else float(s) unless the result is NaN or
// infinite, else the string itself (so "" stays "", "nan" and "1e999" stay
// strings). Integers too large for int64 (Python gives a long) become
// float64.
//
// The grammars are Python's, not Go's: int() accepts surrounding ASCII
// whitespace, a sign and decimal digits only (no underscores, no 0x) and,
// a Python 2 quirk, whitespace between the sign and the digits ("- 5" is
// -5); float() accepts decimal and exponent forms with surrounding
// whitespace. Go's ParseFloat alone would also take hex floats and
// underscores, so the syntax is checked here first.
func csvCell(s string) any {
	switch kind, n, f := parseCSVCell(s); kind {
	case cellInt:
		return n
	case cellFloat:
		return f
	}
	return s
}

// cellKind says what a csv cell reads as.
type cellKind uint8

const (
	cellString cellKind = iota
	cellInt
	cellFloat
)

// parseCSVCell is csvCell without the boxing, so callers can box cheaply.
func parseCSVCell(s string) (cellKind, int64, float64) {
	if len(s) == 0 {
		return cellString, 0, 0
	}
	t := s
	if isPySpace(s[0]) || isPySpace(s[len(s)-1]) {
		t = trimPySpace(s)
	}
	if n, ok, overflow := pyInt(t); ok {
		return cellInt, n, 0
	} else if overflow {
		return cellFloat, 0, pyIntToFloat(t)
	}
	if f, ok := parsePyFloat(t); ok {
		return cellFloat, 0, f
	}
	return cellString, 0, 0
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// isPySpace is C isspace in the C locale, which Python 2 int() and float()
// strip.
func isPySpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func trimPySpace(s string) string {
	i, j := 0, len(s)
	for i < j && isPySpace(s[i]) {
		i++
	}
	for j > i && isPySpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// pyInt parses s (already trimmed) as Python 2 int(s): [sign] [spaces]
// digits. overflow reports a valid integer outside int64.
func pyInt(s string) (n int64, ok, overflow bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
		for i < len(s) && isPySpace(s[i]) {
			i++
		}
	}
	if i == len(s) {
		return 0, false, false
	}
	var u uint64
	for ; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false, false
		}
		if u > (math.MaxUint64-9)/10 {
			overflow = true
			continue
		}
		u = u*10 + uint64(d)
	}
	if overflow {
		return 0, false, true
	}
	if neg {
		if u > 1<<63 {
			return 0, false, true
		}
		return -int64(u), true, false
	}
	if u > math.MaxInt64 {
		return 0, false, true
	}
	return int64(u), true, false
}

// pyIntToFloat converts a valid but too large Python integer literal to
// the nearest float64, dropping the spaces Python allows after the sign.
func pyIntToFloat(s string) float64 {
	sign := ""
	if s[0] == '+' || s[0] == '-' {
		sign = s[:1]
		s = trimPySpace(s[1:])
	}
	f, _ := strconv.ParseFloat(sign+s, 64) // digits only: ParseFloat cannot fail but may round
	return f
}

// parsePyFloat reads s (already trimmed) if it is a decimal float literal
// as Python's float() reads it, [sign] (digits [. [digits]] | . digits)
// [(e|E) [sign] digits], and its value is finite. inf and nan are left out
// on purpose: Girder Worker keeps them as strings.
//
// Most cells have few digits and a small exponent: their value is then
// exact as float64(mantissa) times or divided by an exact power of ten,
// one correctly rounded operation (Clinger's fast path). The rest go to
// strconv.ParseFloat, which the syntax check has made safe from Go-only
// forms (hex, underscores, "Inf").
func parsePyFloat(s string) (float64, bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var mant uint64
	exact := true // every digit is in mant
	exp10, digits := 0, 0
	for ; i < len(s) && s[i]-'0' <= 9; i++ {
		digits++
		if mant < 1e18 {
			mant = mant*10 + uint64(s[i]-'0')
		} else {
			exact = false
		}
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i]-'0' <= 9; i++ {
			digits++
			if mant < 1e18 {
				mant = mant*10 + uint64(s[i]-'0')
				exp10--
			} else {
				exact = false
			}
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		e, edigits := 0, 0
		for ; i < len(s) && s[i]-'0' <= 9; i++ {
			edigits++
			if e < 1e6 {
				e = e*10 + int(s[i]-'0')
			}
		}
		if edigits == 0 {
			return 0, false
		}
		if eneg {
			e = -e
		}
		exp10 += e
	}
	if i != len(s) {
		return 0, false
	}
	if exact && mant <= 1<<53 && exp10 >= -22 && exp10 <= 22 {
		f := float64(mant) // exact, and so are the powers of ten up to 1e22
		if exp10 < 0 {
			f /= math.Pow10(-exp10)
		} else {
			f *= math.Pow10(exp10)
		}
		if neg {
			f = -f
		}
		return f, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err == nil || (isRangeErr(err) && !math.IsInf(f, 0)) {
		return f, true // underflow to zero is fine, as in Python
	}
	return 0, false
}
