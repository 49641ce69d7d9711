package spec

import (
	"math"
	"strconv"
	"time"
)

// Readers for single fields. Each reports a wrong kind at the value's
// position and returns ok=false so the caller keeps the zero value.
// what names the field in the message ("input a: type").

func (l *loader) unknownKey(e *entry, where string, known []string) {
	l.errorf(e.keyPos, "unknown key %s in %s%s", q(e.key), where, didYouMean(e.key, known))
}

func (l *loader) stringVal(e *entry, what string) (string, bool) {
	if e.val.kind != stringNode {
		l.errorf(e.val.pos, "%s must be a string, not %s", what, e.val.describe())
		return "", false
	}
	return e.val.text, true
}

// nameVal reads a name: a string, or a number kept as written (Girder
// Worker step names and port ids may be integers).
func (l *loader) nameVal(e *entry, what string) (string, bool) {
	s, ok := e.val.name()
	if !ok {
		l.errorf(e.val.pos, "%s must be a string, not %s", what, e.val.describe())
	}
	return s, ok
}

// textVal reads free text; any scalar is accepted as written.
func (l *loader) textVal(e *entry, what string) (string, bool) {
	if !e.val.isScalar() {
		l.errorf(e.val.pos, "%s must be text, not %s", what, e.val.describe())
		return "", false
	}
	if e.val.kind == nullNode {
		return "", true
	}
	return e.val.text, true
}

func (l *loader) boolVal(e *entry, what string) (bool, bool) {
	if e.val.kind != boolNode {
		l.errorf(e.val.pos, "%s must be true or false, not %s", what, e.val.describe())
		return false, false
	}
	return e.val.b, true
}

// truthy reads a Girder Worker flag (write_script, visualization), which
// Python tested for truthiness: booleans and numbers are accepted.
func (l *loader) truthy(e *entry, what string) (bool, bool) {
	switch e.val.kind {
	case boolNode:
		return e.val.b, true
	case intNode:
		return e.val.i != 0, true
	case floatNode:
		return e.val.f != 0, true
	}
	l.errorf(e.val.pos, "%s must be true or false, not %s", what, e.val.describe())
	return false, false
}

func (l *loader) boolPtr(e *entry, what string) *bool {
	if b, ok := l.boolVal(e, what); ok {
		return &b
	}
	return nil
}

// maxRetries bounds retries: more is surely a typo, and the count must
// fit an int everywhere.
const maxRetries = 1000

// retriesVal reads a count of extra attempts.
func (l *loader) retriesVal(e *entry, what string) (int, bool) {
	v := e.val
	n := int64(-1)
	switch v.kind {
	case intNode:
		n = v.i
	case floatNode:
		if v.f == math.Trunc(v.f) && v.f >= 0 && v.f < 1e9 {
			n = int64(v.f)
		}
	}
	if n < 0 || !v.isScalar() {
		l.errorf(v.pos, "%s must be a whole number >= 0, got %s", what, shown(v))
		return 0, false
	}
	if n > maxRetries {
		l.errorf(v.pos, "%s is %d; at most %d extra attempts are allowed", what, n, maxRetries)
		return 0, false
	}
	return int(n), true
}

// maxTimeoutSeconds keeps seconds*1e9 inside a time.Duration.
const maxTimeoutSeconds = float64(math.MaxInt64/int64(time.Second)) - 1

// timeoutVal reads a Go duration string ("10m", "1h30m") or a number of
// seconds.
func (l *loader) timeoutVal(e *entry, what string) (time.Duration, bool) {
	v := e.val
	bad := func() (time.Duration, bool) {
		l.errorf(v.pos, "%s must be a Go duration like 10m or 90s, or a number of seconds, got %s", what, shown(v))
		return 0, false
	}
	switch v.kind {
	case stringNode:
		d, err := time.ParseDuration(v.text)
		if err != nil {
			return bad()
		}
		if d < 0 {
			l.errorf(v.pos, "%s must not be negative, got %s", what, shown(v))
			return 0, false
		}
		return d, true
	case intNode, floatNode:
		s := float64(v.i)
		if v.kind == floatNode {
			s = v.f
		}
		if s < 0 || math.IsNaN(s) || s > maxTimeoutSeconds {
			l.errorf(v.pos, "%s must be a number of seconds from 0 to %.0f, got %s", what, maxTimeoutSeconds, shown(v))
			return 0, false
		}
		return time.Duration(s * float64(time.Second)), true
	}
	return bad()
}

// shown renders a value for a message: scalars as written, others by kind.
func shown(n *node) string {
	switch n.kind {
	case stringNode:
		return strconv.Quote(n.text)
	case listNode, mapNode:
		return n.describe()
	}
	return n.text
}
