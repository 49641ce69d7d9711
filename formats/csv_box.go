package formats

import (
	"hash/maphash"
	"unsafe"
)

// csvBoxes puts cells into interface values without an allocation per
// cell. An int64, float64 or string stored in an `any` normally costs a
// small allocation (Go spares only int64 0..255 and ""), and a 100 MB
// table has tens of millions of cells: those allocations, and the garbage
// collector's work on them, cost more than the parsing itself.
//
// Instead the values are appended to typed slabs and each interface is
// made to point at its slab element, which is exactly the layout the
// compiler builds for a boxed value (a type word and a pointer to the
// value). This is sound because the slab elements are never written again
// and the interface's pointer keeps its slab alive; it relies only on the
// interface layout, which has not changed since Go 1.0 and which reflect
// and the runtime depend on.
//
// Tables also repeat their strings (categories, codes, names), so a small
// direct-mapped cache hands out the same box for a string seen recently:
// less memory, and less for the garbage collector to trace.
type csvBoxes struct {
	ints   csvSlab[int64]
	floats csvSlab[float64]
	strs   csvSlab[string]
	seed   maphash.Seed
	boxed  int // strings boxed so far
	recent *[512]struct {
		s string
		v any
	} // made once a table has shown enough strings to be worth it
}

func newCSVBoxes() *csvBoxes {
	return &csvBoxes{ints: newCSVSlab[int64](), floats: newCSVSlab[float64](), strs: newCSVSlab[string](), seed: maphash.MakeSeed()}
}

// csvRecentMaxLen bounds the strings worth caching: long ones rarely
// repeat. csvRecentAfter strings are boxed before the cache is made, so
// small tables and small chunks do not pay for it.
const (
	csvRecentMaxLen = 32
	csvRecentAfter  = 64
)

// csvEface is the runtime layout of an interface{} value.
type csvEface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// csvSlab hands out boxes of T backed by large shared arrays.
type csvSlab[T any] struct {
	typ unsafe.Pointer // the type word of a T in an interface
	buf []T
}

// Slabs start small, for small tables and chunks, and double up to
// csvSlabLen elements.
const (
	csvSlabFirst = 16
	csvSlabLen   = 4096
)

func newCSVSlab[T any]() csvSlab[T] {
	var zero T
	var boxed any = zero
	return csvSlab[T]{typ: (*csvEface)(unsafe.Pointer(&boxed)).typ}
}

func (s *csvSlab[T]) box(v T) any {
	if len(s.buf) == cap(s.buf) {
		s.buf = make([]T, 0, min(max(2*cap(s.buf), csvSlabFirst), csvSlabLen))
	}
	s.buf = append(s.buf, v)
	var out any
	e := (*csvEface)(unsafe.Pointer(&out))
	e.typ = s.typ
	e.data = unsafe.Pointer(&s.buf[len(s.buf)-1])
	return out
}

func (b *csvBoxes) str(s string) any {
	if b == nil || len(s) == 0 {
		return s
	}
	if len(s) > csvRecentMaxLen {
		return b.strs.box(s)
	}
	if b.recent == nil {
		if b.boxed++; b.boxed < csvRecentAfter {
			return b.strs.box(s)
		}
		b.recent = new([512]struct {
			s string
			v any
		})
	}
	e := &b.recent[maphash.String(b.seed, s)&uint64(len(b.recent)-1)]
	if e.v != nil && e.s == s {
		return e.v
	}
	e.s, e.v = s, b.strs.box(s)
	return e.v
}

func (b *csvBoxes) int(n int64) any {
	if b == nil || n >= 0 && n < 256 {
		return n // boxed for free by the runtime
	}
	return b.ints.box(n)
}

func (b *csvBoxes) float(f float64) any {
	if b == nil {
		return f
	}
	return b.floats.box(f)
}
