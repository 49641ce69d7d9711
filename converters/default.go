package converters

import "github.com/truss-dev/truss/formats"

// Default returns every built-in converter over reg (formats.Default()).
func Default(reg *formats.Registry) *Registry {
	r := New(reg)
	addScalar(r)
	addTable(r)
	addTree(r)
	addGraph(r)
	addImage(r)
	addDirectory(r)
	addPython(r)
	addR(r)
	return r
}
