package formats

// pyCounter counts single-byte keys the way the sniffer's dicts do and
// breaks ties the way `reduce(lambda a, b: (d[a] > d[b]) and a or b,
// d.keys())` does under CPython 2.7: the later key in dict iteration order
// wins a tie. That order is the order of the hash table slots, so the
// table is simulated (string hash without randomisation, open addressing
// with perturbation, resize at 2/3 full).
type pyCounter struct {
	order  []byte // keys in insertion order
	counts map[byte]int
}

func newPyCounter() *pyCounter { return &pyCounter{counts: map[byte]int{}} }

func (c *pyCounter) add(k byte) {
	if _, ok := c.counts[k]; !ok {
		c.order = append(c.order, k)
	}
	c.counts[k]++
}

// argmax is the reduce above over the keys in CPython 2.7 dict order.
func (c *pyCounter) argmax() byte {
	keys := py2DictOrder(c.order)
	best := keys[0]
	for _, k := range keys[1:] {
		if !(c.counts[best] > c.counts[k]) {
			best = k
		}
	}
	return best
}

// py2StrHash is CPython 2.7's hash of a one-byte str (hash randomisation
// off, as it is by default in Python 2).
func py2StrHash(c byte) int64 {
	x := int64(c) << 7
	x = 1000003*x ^ int64(c)
	x ^= 1 // the length
	if x == -1 {
		x = -2
	}
	return x
}

// py2DictOrder returns keys (distinct, in insertion order) in the order a
// CPython 2.7 dict built by inserting them in that order iterates them.
func py2DictOrder(keys []byte) []byte {
	const minSize = 8
	table := make([]int, minSize) // slot → key index + 1 (0: empty)
	insert := func(table []int, ki int) {
		mask := uint64(len(table) - 1)
		h := uint64(py2StrHash(keys[ki]))
		i := h & mask
		for perturb := h; table[i&mask] != 0; perturb >>= 5 {
			i = i<<2 + i + perturb + 1
		}
		table[i&mask] = ki + 1
	}
	used := 0
	for ki := range keys {
		insert(table, ki)
		used++
		if used*3 >= len(table)*2 {
			size := minSize
			for size <= 4*used {
				size <<= 1
			}
			grown := make([]int, size)
			for _, slot := range table {
				if slot != 0 {
					insert(grown, slot-1)
				}
			}
			table = grown
		}
	}
	out := make([]byte, 0, len(keys))
	for _, slot := range table {
		if slot != 0 {
			out = append(out, keys[slot-1])
		}
	}
	return out
}
