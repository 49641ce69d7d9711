package validators

// addDirectory is filled in by the directory work (placeholder so the tree builds).
func addDirectory(r *Registry) { _ = r }
