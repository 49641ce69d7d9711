package validators

// addImage is filled in by the image work (placeholder so the tree builds).
func addImage(r *Registry) { _ = r }
