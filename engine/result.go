// Package engine runs a compiled Plan: a scheduler goroutine owns the run
// state, a bounded pool of workers executes nodes and reports back on a
// channel. Failures stop dependants only; independent branches finish.
package engine

import (
	"crypto/rand"
	"strings"
	"time"

	"github.com/truss-dev/truss/dag"
	"github.com/truss-dev/truss/formats"
)

// Status of a node or a run.
type Status string

const (
	Pending   Status = "pending"
	Running   Status = "running"
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
	Skipped   Status = "skipped"
	Cancelled Status = "cancelled"
)

// Event reports a node's state change to an observer (progress display,
// later the store).
type Event struct {
	Time    time.Time
	Node    *dag.Node
	Status  Status
	Attempt int
	Err     error
	// Reason says why a node was skipped ("when is false", "upstream x failed").
	Reason  string
	Elapsed time.Duration
}

// NodeResult is what happened to one node.
type NodeResult struct {
	ID       string
	Kind     dag.Kind
	Status   Status
	Attempts int
	Start    time.Time
	End      time.Time
	Err      error
	Reason   string
	// Log is the file holding a step's stdout and stderr ("" when none);
	// LogBlob its digest in the store.
	Log     string
	LogBlob string
	// CachedFrom names the earlier run/node whose outputs were reused.
	CachedFrom string
}

// Failure is a failed node and its message.
type Failure struct {
	Node    string
	Message string
}

// Visualization is a visualization step's bound inputs (Girder Worker's
// _visualizations entries).
type Visualization struct {
	Step   string
	Inputs map[string]formats.Value
}

// Result of a run. Node failures are reported here, not as an error.
type Result struct {
	RunID          string
	Status         Status
	Outputs        map[string]formats.Value
	Nodes          []NodeResult
	Failures       []Failure
	Visualizations []Visualization
	WorkDir        string
	Elapsed        time.Duration
}

// Count tallies node results by status.
func (r *Result) Count(s Status) int {
	n := 0
	for _, nr := range r.Nodes {
		if nr.Status == s {
			n++
		}
	}
	return n
}

// NewRunID returns a ULID: 48 bits of milliseconds then 80 random bits in
// Crockford base32, so IDs sort by creation time.
func NewRunID(now time.Time) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	var out strings.Builder
	// 128 bits → 26 base32 characters, most significant first.
	var acc uint64
	bits := 0
	// Two leading zero bits pad 128 to 130 bits.
	acc, bits = 0, 2
	for _, x := range b {
		acc = acc<<8 | uint64(x)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out.WriteByte(alphabet[(acc>>uint(bits))&31])
		}
	}
	return out.String()
}
