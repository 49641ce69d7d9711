package converters

// addR registers the R runtime converters (filled in by the R work).
func addR(r *Registry) { _ = r }
