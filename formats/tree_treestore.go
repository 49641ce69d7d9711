package formats

import (
	"encoding/binary"
	"fmt"
)

// CheckTreeStore checks that b frames as Arbor TreeStore data: one or more
// concatenated BSON documents, each an int32 little-endian total length
// (at least 5: the length itself and the closing 0x00) that stays inside
// b, ending in 0x00. It does not decode the documents: Girder Worker only
// ever produced this format from R (see r.apetree → treestore), and a
// framing check is what tells BSON from other bytes.
func CheckTreeStore(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("treestore: no BSON document")
	}
	for off, doc := 0, 1; off < len(b); doc++ {
		if len(b)-off < 5 {
			return fmt.Errorf("treestore: document %d at byte %d: %d trailing bytes are too few for a BSON document (at least 5)", doc, off, len(b)-off)
		}
		n := int64(int32(binary.LittleEndian.Uint32(b[off:])))
		switch {
		case n < 5:
			return fmt.Errorf("treestore: document %d at byte %d: length %d is less than 5", doc, off, n)
		case n > int64(len(b)-off):
			return fmt.Errorf("treestore: document %d at byte %d: length %d runs past the end of the data (%d bytes left)", doc, off, n, len(b)-off)
		case b[off+int(n)-1] != 0:
			return fmt.Errorf("treestore: document %d at byte %d: does not end in 0x00", doc, off)
		}
		off += int(n)
	}
	return nil
}
