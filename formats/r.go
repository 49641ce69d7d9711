package formats

// addRFormats registers the R runtime formats (filled in by the R work).
func addRFormats(r *Registry) { _ = r }
