package nodes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"sort"

	"github.com/truss-dev/truss/dag"
	"github.com/truss-dev/truss/spec"
)

// FormatVersion enters every fingerprint: bump it when a change to truss
// makes earlier cached outputs wrong.
const FormatVersion = "truss-1"

// Fingerprint is the part of a node's cache key that comes from its
// definition: kind, mode, script, options, ports, converter and version,
// validation and constraint. Two nodes with equal fingerprints and equal
// input digests produce equal outputs.
func Fingerprint(n *dag.Node) string {
	h := sha256.New()
	field := func(k, v string) { fmt.Fprintf(h, "%s=%d:%s\n", k, len(v), v) }
	field("truss", FormatVersion)
	field("kind", n.Kind.String())
	field("type", n.Type+"/"+n.Format)
	switch n.Kind {
	case dag.KindConvert:
		c := n.Converter
		field("converter", c.Key())
		field("version", c.Version)
		field("runtime", c.Runtime)
		field("script", c.Script)
	case dag.KindValidate:
		field("validate", fmt.Sprint(n.Validate))
		if n.Constraint != nil {
			field("constraint", n.Constraint.Text)
		}
	case dag.KindStep:
		taskFingerprint(h, field, n.Step.Task)
		field("validate", fmt.Sprint(n.Step.Validate))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func taskFingerprint(h hash.Hash, field func(k, v string), t *spec.Task) {
	mode := t.Mode
	if mode == "" {
		mode = "python"
	}
	field("mode", mode)
	field("script", t.Script)
	for _, p := range t.Inputs {
		field("in", p.Name+" "+p.Type+"/"+p.Format+" "+p.Target)
	}
	for _, p := range t.Outputs {
		field("out", p.Name+" "+p.Type+"/"+p.Format+" "+p.Target)
	}
	if len(t.Options) > 0 {
		keys := make([]string, 0, len(t.Options))
		for k := range t.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b, _ := json.Marshal(t.Options[k]) // plain YAML/JSON values: sorted map keys
			field("opt:"+k, string(b))
		}
	}
}

// CacheKey combines a fingerprint with the digests of the node's inputs
// (by port name).
func CacheKey(fingerprint string, inputs map[string]string) string {
	ports := make([]string, 0, len(inputs))
	for p := range inputs {
		ports = append(ports, p)
	}
	sort.Strings(ports)
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", fingerprint)
	for _, p := range ports {
		fmt.Fprintf(h, "%s=%s\n", p, inputs[p])
	}
	return hex.EncodeToString(h.Sum(nil))
}
