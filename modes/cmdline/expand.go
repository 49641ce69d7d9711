package cmdline

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/truss-dev/truss/formats"
)

// Dirs says where the data directory is.
type Dirs struct {
	// DataDir is the data directory on the host (the node's work dir).
	DataDir string
	// MountDir is where the command sees it ("" = DataDir, as in shell
	// mode; DataVolume in docker mode).
	MountDir string
	// Mounted maps host paths of filepath inputs outside the data
	// directory to where the command sees them (docker mounts them).
	Mounted map[string]string
	// Tokens are further textual replacements, made after $output{}:
	// docker's $volume{name}, $pipe{name} and $progress.
	Tokens map[string]string
}

func (d Dirs) mount() string {
	if d.MountDir == "" {
		return d.DataDir
	}
	return d.MountDir
}

var (
	inputRe  = regexp.MustCompile(`\$input\{([^}]+)\}`)
	flagRe   = regexp.MustCompile(`\$flag\{([^}]+)\}`)
	outputRe = regexp.MustCompile(`\$output\{([^}]+)\}`)
	// tokenRe finds every $kind{…} token, for the checks.
	tokenRe = regexp.MustCompile(`\$([A-Za-z_]\w*)\{([^}]*)\}`)
)

const tempdirToken = "$tempdir"

// Expand expands the tokens of args for one run, in Girder Worker's order
// (reference 5.2): $input{} (all ids found in the original argument), then
// $flag{} (an argument that becomes exactly "" through a flag is dropped),
// then $output{}, then truss's $tempdir. Replacement is textual and
// sequential, as in Girder Worker: a value inserted by $input{} that holds
// a $flag{} or $output{} token is expanded too. in holds the bound inputs;
// filepath inputs must already be paths (see Materialize).
func (s *Spec) Expand(key string, args []string, in map[string]formats.Value, d Dirs) ([]string, error) {
	out := make([]string, 0, len(args))
	for i, a := range args {
		e, keep, err := s.ExpandArg(a, in, d)
		if err != nil {
			return nil, fmt.Errorf("%s[%d] %q: %w", key, i, a, err)
		}
		if keep {
			out = append(out, e)
		}
	}
	return out, nil
}

// ExpandArg expands one argument; keep is false when a $flag{} made it
// exactly empty.
func (s *Spec) ExpandArg(arg string, in map[string]formats.Value, d Dirs) (string, bool, error) {
	// 1. $input{ID}, ids found on the original string.
	for _, m := range inputRe.FindAllStringSubmatch(arg, -1) {
		tok, id := m[0], m[1]
		var text string
		if p, ok := s.input(id); ok {
			v, bound := in[id]
			if !bound {
				return "", false, fmt.Errorf("Could not expand token: %s: input %q has no value", tok, id)
			}
			var err error
			if text, err = inputText(p, v, d); err != nil {
				return "", false, fmt.Errorf("Could not expand token: %s: %w", tok, err)
			}
		} else if id == "_tempdir" {
			text = d.mount()
		} else {
			return "", false, fmt.Errorf("Could not expand token: %s. The task's inputs are: %s", tok, names(s.Inputs))
		}
		arg = strings.ReplaceAll(arg, tok, text)
	}
	// 2. $flag{ID}: unknown ids expand to nothing.
	if ms := flagRe.FindAllStringSubmatch(arg, -1); ms != nil {
		for _, m := range ms {
			text := ""
			if p, ok := s.input(m[1]); ok {
				if v, bound := in[m[1]]; bound && Truthy(v) {
					text = p.FlagArg()
				}
			}
			arg = strings.ReplaceAll(arg, m[0], text)
		}
		if arg == "" {
			return "", false, nil
		}
	}
	// 3. $output{ID}: the output's path in the data directory.
	for _, m := range outputRe.FindAllStringSubmatch(arg, -1) {
		p, ok := s.output(m[1])
		if !ok {
			return "", false, fmt.Errorf("Could not expand token: %s. The task's outputs are: %s", m[0], names(s.Outputs))
		}
		rel, err := s.relOutput(p)
		if err != nil {
			return "", false, err
		}
		arg = strings.ReplaceAll(arg, m[0], joinDir(d.mount(), rel))
	}
	// 4. The caller's tokens, then $tempdir (TemporaryVolume.default):
	// the data directory.
	for tok, text := range d.Tokens {
		arg = strings.ReplaceAll(arg, tok, text)
	}
	arg = strings.ReplaceAll(arg, tempdirToken, d.mount())
	return arg, true, nil
}

func joinDir(dir, rel string) string {
	if rel == "" || rel == "." {
		return dir
	}
	return strings.TrimSuffix(dir, "/") + "/" + rel
}

// inputText is str(script_data) for $input{}: a filepath value is its path,
// rewritten to MountDir when it lies in the data directory.
func inputText(p Port, v formats.Value, d Dirs) (string, error) {
	if v.Path != "" {
		path := v.Path
		if p.IsFilepath() && d.DataDir != "" {
			prefix := strings.TrimSuffix(d.DataDir, "/") + "/"
			if strings.HasPrefix(path, prefix) {
				path = joinDir(d.mount(), path[len(prefix):])
			} else if m, ok := d.Mounted[path]; ok {
				path = m
			}
		}
		return path, nil
	}
	if p.IsFilepath() {
		return "", fmt.Errorf("filepath input %q carries no path", p.Name)
	}
	if v.Bytes != nil {
		return string(v.Bytes), nil
	}
	return PyStr(v.Data), nil
}

// Truthy is Python's truth value of a value's script_data (reference 0.5):
// False, None, 0, 0.0, the empty string, [] and {} are false; the string
// 'false' is true.
func Truthy(v formats.Value) bool {
	switch {
	case v.Path != "":
		return true
	case v.Bytes != nil:
		return len(v.Bytes) > 0
	}
	switch x := v.Data.(type) {
	case nil:
		return false
	case bool:
		return x
	case int:
		return x != 0
	case int64:
		return x != 0
	case uint64:
		return x != 0
	case float64:
		return x != 0 // NaN is true in Python too
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case []string:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// PyStr is Python 2's str(x) (reference 0.6), Girder Worker's runtime:
// True/False, None, integers as written, floats with 12 significant digits
// ("1.5", "0.3", "1e+16"), a string as is, a list or dict as its repr.
func PyStr(x any) string {
	switch x := x.(type) {
	case string:
		return x
	case float64:
		return pyFloatStr(x)
	}
	return pyRepr(x)
}

func pyFloatStr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'g', 12, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// pyRepr is repr(x); strings are quoted as Python 3 does ('a', not u'a').
func pyRepr(x any) string {
	switch x := x.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		switch {
		case math.IsNaN(x):
			return "nan"
		case math.IsInf(x, 1):
			return "inf"
		case math.IsInf(x, -1):
			return "-inf"
		}
		return formats.PyFloat(x)
	case string:
		return pyQuote(x)
	case []string:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyQuote(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyQuote(k) + ": " + pyRepr(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	if b, err := formats.EncodeJSON(x); err == nil {
		return string(b)
	}
	return fmt.Sprint(x)
}

// pyQuote is repr of a str: single quotes unless the text holds a single
// quote and no double quote.
func pyQuote(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteByte(q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// relOutput is an output's path relative to the data directory, checked
// against the reference's rules: relative, or absolute under DataVolume.
// A relative path may not climb out with "..".
func (s *Spec) relOutput(p Port) (string, error) {
	path := p.OutPath()
	if filepath.IsAbs(path) {
		if !strings.HasPrefix(path, DataVolume+"/") {
			return "", fmt.Errorf("output %q: %s filepath output paths must either start with %q or be specified relative to that directory.", p.Name, s.modeTitle(), DataVolume+"/")
		}
		path = path[len(DataVolume)+1:]
	}
	clean := filepath.Clean(path)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("output %q: path %q leaves the data directory; %s filepath output paths must stay inside it", p.Name, p.OutPath(), strings.ToLower(s.modeTitle()))
	}
	return clean, nil
}
