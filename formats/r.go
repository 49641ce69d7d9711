package formats

// addRFormats registers the formats of Girder Worker's r plugin. The R
// objects (r/object, table/r.dataframe, tree/r.apetree) live in the R
// runtime and cross the Go boundary as the bytes of R's serialize(obj, NULL)
// (binary XDR, version 3: faster and smaller than the ASCII form). r/serialized
// is the reference's ASCII text form (serialize(obj, NULL, ascii = TRUE,
// version = 2)), a plain text value Go can hold and store.
func addRFormats(r *Registry) {
	add := func(typ, name string, rep Rep, runtime, desc string, exts ...string) {
		r.Register(Format{Type: typ, Name: name, Rep: rep, Runtime: runtime, Description: desc, Extensions: exts})
	}
	add("r", "object", RepBinary, RuntimeR, "any R object (serialize() bytes across the Go boundary)")
	add("r", "serialized", RepText, RuntimeGo, "an R object as the ASCII text of serialize(ascii = TRUE)", "rds")
	add("table", "r.dataframe", RepBinary, RuntimeR, "an R data.frame (serialize() bytes across the Go boundary)")
	add("tree", "r.apetree", RepBinary, RuntimeR, `an ape "phylo" tree in R (serialize() bytes across the Go boundary)`)
}
