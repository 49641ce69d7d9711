package validators

import "github.com/truss-dev/truss/formats"

// addGraph registers Go-native validators for the graph text formats:
// UTF-8 text that the format's reader accepts (Girder Worker accepted any
// string). graph/networkx, a Python object, is validated in Python.
func addGraph(r *Registry) {
	for _, f := range formats.GraphFormats() {
		r.MustAdd(Validator{Type: "graph", Format: f, Run: treeTextValidator(func(text []byte) error {
			_, err := formats.ReadGraph(f, text)
			return err
		})})
	}
}
