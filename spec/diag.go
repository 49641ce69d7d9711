package spec

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
)

func errorAt(p Pos, format string, args ...any) Diagnostic {
	return Diagnostic{Pos: p, Severity: Error, Message: fmt.Sprintf(format, args...)}
}

func warningAt(p Pos, format string, args ...any) Diagnostic {
	return Diagnostic{Pos: p, Severity: Warning, Message: fmt.Sprintf(format, args...)}
}

// plainName matches names that read unambiguously without quotes in a
// message; anything else (empty, spaces, punctuation) is quoted.
var plainName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$`)

// q formats a name for a message.
func q(s string) string {
	if plainName.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}

// shortPos points at an earlier place of the same file ("line 4, column 7").
func shortPos(p Pos) string { return fmt.Sprintf("line %d, column %d", p.Line, p.Col) }

// identRE is the shape of names used by truss sugar (in:, from:): no dots,
// so "step.port" splits one way only.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

const identShape = "[A-Za-z_][A-Za-z0-9_-]*"

func isIdent(s string) bool { return identRE.MatchString(s) }

// finish orders diagnostics by file (in order of first appearance), line
// and column, and drops exact repeats, so output is stable and reads top
// to bottom.
func finish(ds Diagnostics) Diagnostics {
	if len(ds) == 0 {
		return nil
	}
	fileRank := map[string]int{}
	for _, d := range ds {
		if _, ok := fileRank[d.Pos.File]; !ok {
			fileRank[d.Pos.File] = len(fileRank)
		}
	}
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i].Pos, ds[j].Pos
		if a.File != b.File {
			return fileRank[a.File] < fileRank[b.File]
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	out := ds[:1]
	for _, d := range ds[1:] {
		if d != out[len(out)-1] {
			out = append(out, d)
		}
	}
	return out
}
