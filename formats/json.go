package formats

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// EncodeJSON writes v as compact JSON with sorted object keys (rows keep
// their fields order), floats as Python's repr writes them (4.0 stays 4.0,
// so integers and floats stay distinct) and NaN/Infinity as Python's json
// module writes them.
func EncodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := appendJSON(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// JSONAppender is implemented by values with an encoding of their own.
type JSONAppender interface {
	AppendJSON(b *bytes.Buffer) error
}

func appendJSON(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	// Numbers are formatted into the buffer's spare capacity: no allocation
	// per cell when a big table is encoded.
	case int64:
		b.Write(strconv.AppendInt(b.AvailableBuffer(), x, 10))
	case int:
		b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(x), 10))
	case int32:
		b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(x), 10))
	case uint64:
		b.Write(strconv.AppendUint(b.AvailableBuffer(), x, 10))
	case float64:
		b.Write(appendPyFloat(b.AvailableBuffer(), x))
	case float32:
		b.Write(appendPyFloat(b.AvailableBuffer(), float64(x)))
	case json.Number:
		b.WriteString(x.String())
	case string:
		appendString(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case []string:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			appendString(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			appendString(b, k)
			b.WriteByte(':')
			if err := appendJSON(b, x[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case JSONAppender:
		return x.AppendJSON(b)
	default:
		return fmt.Errorf("cannot encode %T as JSON", v)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

func appendString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// PyFloat formats f as Python's repr does: the shortest text that reads back
// as f, always with a '.0' or an exponent so it stays a float, exponent form
// when the decimal point would sit more than 16 places left or 4 right;
// NaN and infinities as Python's json module writes them.
func PyFloat(f float64) string { return string(appendPyFloat(nil, f)) }

// DecodeJSON reads JSON text into a JSON-like Go value: integers become
// int64 (floats when they do not fit), other numbers float64. NaN, Infinity
// and -Infinity (Python's json output) are accepted.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if fixed, ok := replacePyConstants(data); ok {
			return DecodeJSON(fixed)
		}
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("invalid JSON: more than one value (at offset %d)", dec.InputOffset())
	}
	return Normalize(v), nil
}

// Python's json writes NaN and Infinity as bare tokens; we read them as
// the strings a sentinel replaces, then back to floats in Normalize.
const (
	nanSentinel    = "\x00truss:NaN"
	posInfSentinel = "\x00truss:+Inf"
	negInfSentinel = "\x00truss:-Inf"
)

func replacePyConstants(data []byte) ([]byte, bool) {
	var out bytes.Buffer
	changed := false
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			out.WriteByte(c)
			if c == '\\' && i+1 < len(data) {
				i++
				out.WriteByte(data[i])
			} else if c == '"' {
				inString = false
			}
			continue
		}
		switch {
		case c == '"':
			inString = true
			out.WriteByte(c)
		case bytes.HasPrefix(data[i:], []byte("NaN")):
			out.WriteString(jsonSentinel(nanSentinel))
			i += 2
			changed = true
		case bytes.HasPrefix(data[i:], []byte("-Infinity")):
			out.WriteString(jsonSentinel(negInfSentinel))
			i += 8
			changed = true
		case bytes.HasPrefix(data[i:], []byte("Infinity")):
			out.WriteString(jsonSentinel(posInfSentinel))
			i += 7
			changed = true
		default:
			out.WriteByte(c)
		}
	}
	return out.Bytes(), changed
}

// jsonSentinel writes a sentinel as a JSON string (its NUL escaped the
// JSON way, which strconv.Quote does not do).
func jsonSentinel(s string) string {
	return `"\u0000` + s[1:] + `"`
}

// Normalize turns what encoding/json (with UseNumber) produced into the
// JSON-like value model: json.Number → int64 or float64.
func Normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n
			}
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f
	case float64:
		return x
	case int:
		return int64(x)
	case string:
		switch x {
		case nanSentinel:
			return math.NaN()
		case posInfSentinel:
			return math.Inf(1)
		case negInfSentinel:
			return math.Inf(-1)
		}
		return x
	case []any:
		for i := range x {
			x[i] = Normalize(x[i])
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = Normalize(e)
		}
		return x
	}
	return v
}
