package formats

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// Expectations follow Python 2.7's int() then float() as csv_to_rows uses
// them.
func TestCSVCell(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"", ""},
		{"0", int64(0)},
		{"42", int64(42)},
		{"-42", int64(-42)},
		{"+42", int64(42)},
		{"007", int64(7)},
		{" 12 ", int64(12)},
		{"\t12\v", int64(12)},
		{"- 5", int64(-5)}, // Python 2: int('- 5') == -5
		{"+ 5", int64(5)},
		{"-", "-"},
		{"+", "+"},
		{"1 2", "1 2"},
		{"9223372036854775807", int64(9223372036854775807)},
		{"-9223372036854775808", int64(-9223372036854775808)},
		{"9223372036854775808", 9223372036854775808.0}, // a Python long: float64 here
		{"- 99999999999999999999", -99999999999999999999.0},
		{"1_000", "1_000"},
		{"0x10", "0x10"},
		{"1.5", 1.5},
		{"-1.5", -1.5},
		{"1.", 1.0},
		{".5", 0.5},
		{".", "."},
		{"1e5", 100000.0},
		{"1E-3", 0.001},
		{"1e+3", 1000.0},
		{"1e", "1e"},
		{"e5", "e5"},
		{" 2.5 ", 2.5},
		{"- 2.5", "- 2.5"}, // float() does not allow the space
		{"1e-400", 0.0},
		{"1e400", "1e400"},
		{"inf", "inf"},
		{"-Infinity", "-Infinity"},
		{"nan", "nan"},
		{"NaN", "NaN"},
		{"0x1p-2", "0x1p-2"},
		{"1_0.5", "1_0.5"},
		{"١٢", "١٢"},
		{"abc", "abc"},
	}
	for _, tt := range tests {
		if got := csvCell(tt.in); got != tt.want {
			t.Errorf("csvCell(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestCSVBoxes(t *testing.T) {
	b := newCSVBoxes()
	var cells []any
	for i := 0; i < 3*csvSlabLen; i++ { // several slabs
		cells = append(cells, b.int(int64(i)*1000+7), b.float(float64(i)+0.5), b.str(strconv.Itoa(i)))
	}
	for i := 0; i < 3*csvSlabLen; i++ {
		want := []any{int64(i)*1000 + 7, float64(i) + 0.5, strconv.Itoa(i)}
		for k, w := range want {
			if got := cells[3*i+k]; got != w {
				t.Fatalf("cell %d = %#v, want %#v", 3*i+k, got, w)
			}
		}
	}
	for i := 0; i < 1000; i++ { // the recent-strings cache
		for _, w := range []string{"Ulster", "ULSTER", "Ulster County"} {
			if got := b.str(w); got != w {
				t.Fatalf("str(%q) = %#v", w, got)
			}
		}
	}
	if f, ok := cells[1].(float64); !ok || f != 0.5 {
		t.Errorf("type assertion gave %v, %v", f, ok)
	}
	var nilBoxes *csvBoxes
	if nilBoxes.str("x") != "x" || nilBoxes.int(1000) != int64(1000) || nilBoxes.float(1.5) != 1.5 {
		t.Error("a nil csvBoxes changes values")
	}
}

// parsePyFloat must agree with strconv.ParseFloat on every decimal literal,
// fast path or not.
func TestParsePyFloatMatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	for i := 0; i < 200000; i++ {
		s := ""
		if rng.IntN(3) == 0 {
			s = "-"
		}
		s += digits(rng.IntN(12))
		if rng.IntN(2) == 0 {
			s += "." + digits(rng.IntN(20))
		}
		if rng.IntN(3) == 0 {
			s += "e" + []string{"", "+", "-"}[rng.IntN(3)] + digits(1+rng.IntN(3))
		}
		got, ok := parsePyFloat(s)
		want, err := strconv.ParseFloat(s, 64)
		wantOK := err == nil || (errors.Is(err, strconv.ErrRange) && !math.IsInf(want, 0))
		if strings.Trim(s, "-.") == "" || strings.HasPrefix(strings.TrimPrefix(s, "-"), "e") || strings.HasPrefix(strings.TrimPrefix(s, "-"), ".e") {
			wantOK = false
		}
		if ok != wantOK || ok && math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("parsePyFloat(%q) = %v, %v; strconv %v, %v", s, got, ok, want, err)
		}
	}
}
