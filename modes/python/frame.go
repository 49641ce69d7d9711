package python

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
)

// A frame is what crosses the zygote socket (and the child's result pipe):
// a 4-byte big-endian header length, a JSON header whose "blobs" lists the
// lengths of the raw payloads that follow it back to back. Blobs keep bytes,
// pickles and large JSON out of the header, so nothing is base64-encoded.

// maxHeader bounds a header so a corrupt length cannot allocate gigabytes.
const maxHeader = 256 << 20

type frameHeader struct {
	Op    string  `json:"op,omitempty"`
	Blobs []int64 `json:"blobs"`
}

// encodeFrame returns the frame as buffers for one vectored write; the first
// buffer is the 4-byte length alone, so an fd can ride on it.
func encodeFrame(header any, blobs [][]byte) ([][]byte, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	if len(h) > maxHeader {
		return nil, fmt.Errorf("request header too large (%d bytes)", len(h))
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(h)))
	out := make([][]byte, 0, 2+len(blobs))
	out = append(out, n[:], h)
	for _, b := range blobs {
		if len(b) > 0 {
			out = append(out, b)
		}
	}
	return out, nil
}

// readFrame reads one frame: the raw header (for the caller to decode into
// its own type) and the blobs it announces.
func readFrame(r *bufio.Reader) (json.RawMessage, [][]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxHeader {
		return nil, nil, fmt.Errorf("corrupt frame: header of %d bytes", size)
	}
	h := make([]byte, size)
	if _, err := io.ReadFull(r, h); err != nil {
		return nil, nil, unexpected(err)
	}
	var fh frameHeader
	if err := json.Unmarshal(h, &fh); err != nil {
		return nil, nil, fmt.Errorf("corrupt frame header: %w", err)
	}
	blobs := make([][]byte, len(fh.Blobs))
	for i, l := range fh.Blobs {
		if l < 0 {
			return nil, nil, fmt.Errorf("corrupt frame: blob of %d bytes", l)
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, nil, unexpected(err)
		}
		blobs[i] = b
	}
	return h, blobs, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
