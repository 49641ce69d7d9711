package python

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/truss-dev/truss/modes"
)

// childResult is the header the child writes after running a step.
type childResult struct {
	OK      bool         `json:"ok"`
	Stage   string       `json:"stage"` // input, script, output, missing, internal
	Port    string       `json:"port"`
	Message string       `json:"message"`
	Error   *pyException `json:"error"`
	Outputs []wireOutput `json:"outputs"`
	Missing []string     `json:"missing"`
	Names   []string     `json:"names"`
}

type pyException struct {
	Type    string    `json:"type"`
	Message string    `json:"message"`
	Line    int       `json:"line"`
	Frames  []pyFrame `json:"frames"`
	Syntax  *struct {
		Text   string `json:"text"`
		Offset int    `json:"offset"`
	} `json:"syntax"`
}

type pyFrame struct {
	Line int    `json:"line"`
	Func string `json:"func"`
	Text string `json:"text"`
}

// maxFrames keeps the traceback short: deep recursion shows its ends.
const maxFrames = 8

// failure turns a failed child result into the step's error.
func failure(t *modes.Task, res *childResult) error {
	switch res.Stage {
	case "script":
		if res.Error != nil {
			return stepError(t, res.Error)
		}
	case "input":
		return fmt.Errorf("step %s: input %q: %s", t.Name, res.Port, res.Message)
	case "output":
		return fmt.Errorf("step %s: output %q%s %s", t.Name, res.Port, modes.PortLabel(t.Outputs, res.Port), res.Message)
	case "missing":
		errs := make([]error, len(res.Missing))
		for i, name := range res.Missing {
			errs[i] = &modes.MissingOutputError{Step: t.Name, Port: name, Hint: hint(name, res.Names)}
		}
		if len(errs) == 1 {
			return errs[0]
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("step %s: python: %s", t.Name, res.Message)
}

func stepError(t *modes.Task, e *pyException) *modes.StepError {
	var b strings.Builder
	b.WriteString(e.Type)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Line > 0 && (t.ScriptFile != "" || t.ScriptLine > 0) {
		b.WriteString(" (" + t.Where(e.Line) + ")")
	}
	if s := e.Syntax; s != nil && s.Text != "" {
		// Python's offset counts from 1 on the original line.
		text := strings.TrimLeft(s.Text, " \t")
		caret := s.Offset - 1 - (len(s.Text) - len(text))
		b.WriteString("\n    " + text)
		if caret >= 0 && caret <= len(text) {
			b.WriteString("\n    " + strings.Repeat(" ", caret) + "^")
		}
	}
	frames := e.Frames
	if len(frames) > 1 || (len(frames) == 1 && e.Syntax == nil) {
		b.WriteString("\nTraceback (script frames, most recent call last):")
		skipped := 0
		if len(frames) > maxFrames {
			skipped = len(frames) - maxFrames
			frames = append(append([]pyFrame(nil), frames[:maxFrames/2]...), frames[len(frames)-maxFrames/2:]...)
		}
		for i, f := range frames {
			if skipped > 0 && i == maxFrames/2 {
				fmt.Fprintf(&b, "\n  ... %d more frames ...", skipped)
			}
			fmt.Fprintf(&b, "\n  %s, in %s", t.Where(f.Line), f.Func)
			if f.Text != "" {
				b.WriteString("\n    " + f.Text)
			}
		}
	}
	return &modes.StepError{Step: t.Name, Line: e.Line, Message: b.String()}
}

// hint suggests, for a missing output, the variables the script set that
// look like it; failing that it lists what the script did set.
func hint(name string, names []string) string {
	var close []string
	limit := max(1, min(3, len(name)/3))
	for _, n := range names {
		if strings.EqualFold(n, name) || editDistance(strings.ToLower(n), strings.ToLower(name)) <= limit {
			close = append(close, n)
		}
	}
	sort.Strings(close)
	switch {
	case len(close) == 1:
		return fmt.Sprintf("did you mean %q?", close[0])
	case len(close) > 1:
		return "did you mean one of " + quoteList(close) + "?"
	case len(names) == 0:
		return "the script set no variables"
	case len(names) > 12:
		return "the script set " + quoteList(names[:12]) + ", …"
	}
	return "the script set " + quoteList(names)
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// editDistance is the Levenshtein distance over runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
