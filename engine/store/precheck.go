package store

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// Layout of a bbolt meta page (go.etcd.io/bbolt/internal/common): a 16-byte
// page header, then magic, version, page size, flags (4 bytes each), root
// bucket (pgid, sequence), freelist pgid, high-water pgid, txid, checksum.
const (
	metaMagic    = 0xED0CDAED
	metaVersion  = 2
	pageHeader   = 16
	metaChecksum = pageHeader + 4*4 + 8*5 // offset of the checksum
)

// precheck reads the meta pages of the db file and refuses a file cut
// shorter than the newest valid meta says it is, before bbolt maps it
// (reading pages past the end of a mapped file faults). A missing or empty
// file passes: bbolt creates it.
func precheck(dir, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.Size() == 0 {
		return nil
	}
	var best struct {
		ok         bool
		txid, size uint64
	}
	// Meta 0 is at offset 0; meta 1 one page further, page size read from
	// meta 0 or, when it is damaged, tried among common sizes.
	offsets := []int64{0}
	for _, ps := range []int64{4096, 8192, 16384, 65536} {
		offsets = append(offsets, ps)
	}
	for _, off := range offsets {
		buf := make([]byte, metaChecksum+8)
		if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
			continue
		}
		m := buf[pageHeader:]
		le := binary.LittleEndian
		if le.Uint32(m[0:]) != metaMagic || le.Uint32(m[4:]) != metaVersion {
			continue
		}
		h := fnv.New64a()
		h.Write(m[:metaChecksum-pageHeader])
		if h.Sum64() != le.Uint64(buf[metaChecksum:]) {
			continue
		}
		pageSize := uint64(le.Uint32(m[8:]))
		if off != 0 && uint64(off) != pageSize {
			continue
		}
		pgid, txid := le.Uint64(m[40:]), le.Uint64(m[48:])
		if !best.ok || txid > best.txid {
			best.ok, best.txid, best.size = true, txid, pgid*pageSize
		}
	}
	if !best.ok {
		return &CorruptError{Dir: dir, Err: fmt.Errorf("no valid header page (not a truss store database, or overwritten)")}
	}
	if best.size > uint64(info.Size()) {
		return &CorruptError{Dir: dir, Err: fmt.Errorf("file is %d bytes, its header says %d: it was cut short", info.Size(), best.size)}
	}
	return nil
}
