package formats

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// benchCSV generates about size bytes of csv: a header and rows of 20
// columns mixing small and large integers, floats, short strings, empty
// cells and quoted fields holding commas and doubled quotes.
func benchCSV(size int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"alpha", "beta", "gamma", "delta", "NY", "CA", "x", "Ulster County", "n/a", "TRUE"}
	b := make([]byte, 0, size+1024)
	for c := 0; c < 20; c++ {
		if c > 0 {
			b = append(b, ',')
		}
		b = append(b, "column_"...)
		b = strconv.AppendInt(b, int64(c), 10)
	}
	b = append(b, '\r', '\n')
	for len(b) < size {
		for c := 0; c < 20; c++ {
			if c > 0 {
				b = append(b, ',')
			}
			switch c % 10 {
			case 0, 1:
				b = strconv.AppendInt(b, rng.Int64N(200), 10)
			case 2:
				b = strconv.AppendInt(b, rng.Int64N(1_000_000_000)-500_000_000, 10)
			case 3, 4:
				b = strconv.AppendFloat(b, rng.NormFloat64()*1000, 'f', rng.IntN(6), 64)
			case 5:
				b = strconv.AppendFloat(b, rng.Float64(), 'g', -1, 64)
			case 6, 7:
				b = append(b, words[rng.IntN(len(words))]...)
			case 8:
				if rng.IntN(4) == 0 {
					b = append(b, `"Smith, John ""JJ"""`...)
				} else {
					b = append(b, `"28 MAPLE AVENUE,  ELLENVILLE"`...)
				}
			case 9:
				if rng.IntN(3) > 0 {
					b = strconv.AppendInt(b, rng.Int64N(100), 10)
				}
			}
		}
		b = append(b, '\r', '\n')
	}
	return b
}

func BenchmarkCSVToRows100MB(b *testing.B) {
	text := benchCSV(100 << 20)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := ParseCSV(text)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Fields) != 20 {
			b.Fatalf("%d fields", len(r.Fields))
		}
	}
}

func BenchmarkCSVToRows100MBSequential(b *testing.B) {
	text := benchCSV(100 << 20)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := parseCSV(text, csvSequential()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRowsToCSV100MB(b *testing.B) {
	text := benchCSV(100 << 20)
	r, err := ParseCSV(text)
	if err != nil {
		b.Fatal(err)
	}
	out, err := WriteCSV(r, ',')
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := WriteCSV(r, ','); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRowsEncodeJSON100MB(b *testing.B) {
	text := benchCSV(100 << 20)
	r, err := ParseCSV(text)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := EncodeJSON(r); err != nil {
			b.Fatal(err)
		}
	}
}
