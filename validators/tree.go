package validators

import (
	"context"
	"fmt"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
)

// addTree registers the Go-native tree validators. Girder Worker accepted
// any dict as nested and any string as text; these check the shape of
// nested (naming the path of what is wrong, e.g. children[2].node_data)
// and parse the text formats (errors give the line and column).
func addTree(r *Registry) {
	r.MustAdd(Validator{Type: "tree", Format: "nested", Run: func(ctx context.Context, _ converters.Env, v formats.Value) error {
		_, err := formats.NestedToTree(v.Data)
		return err
	}})
	r.MustAdd(Validator{Type: "tree", Format: "nested.json", Run: treeTextValidator(func(text []byte) error {
		nested, err := formats.DecodeNestedJSON(text)
		if err != nil {
			return err
		}
		_, err = formats.NestedToTree(nested)
		return err
	})})
	r.MustAdd(Validator{Type: "tree", Format: "newick", Run: treeTextValidator(func(text []byte) error {
		_, err := formats.ParseNewickAll(text)
		return err
	})})
	r.MustAdd(Validator{Type: "tree", Format: "nexus", Run: treeTextValidator(func(text []byte) error {
		_, err := formats.ParseNexusAll(text)
		return err
	})})
	r.MustAdd(Validator{Type: "tree", Format: "phyloxml", Run: treeTextValidator(func(text []byte) error {
		_, err := formats.ParsePhyloXMLAll(text)
		return err
	})})
	r.MustAdd(Validator{Type: "tree", Format: "treestore", Run: treeTextValidator(formats.CheckTreeStore)})
}

// treeTextValidator checks a value whose payload is in Bytes.
func treeTextValidator(check func([]byte) error) Func {
	return func(ctx context.Context, _ converters.Env, v formats.Value) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case v.Bytes != nil:
			return check(v.Bytes)
		case v.Path != "":
			b, err := v.FileBytes()
			if err != nil {
				return err
			}
			return check(b)
		}
		if s, ok := v.Data.(string); ok {
			return check([]byte(s))
		}
		return fmt.Errorf("%s/%s: expected text, got %s", v.Type, v.Format, formats.TypeName(v.Data))
	}
}
