package validators

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
)

// addR registers the validators of Girder Worker's r plugin. R objects are
// checked in R (their bytes are unserialized before the snippet runs, so
// bytes that are not an R object fail there too); Girder Worker accepted
// any R object for r.dataframe and r.apetree, these check the class.
// r/serialized is text, checked in Go.
func addR(r *Registry) {
	r.MustAdd(Validator{Type: "r", Format: "object", Runtime: formats.RuntimeR, Script: "output <- TRUE\n"})
	r.MustAdd(Validator{Type: "table", Format: "r.dataframe", Runtime: formats.RuntimeR, Script: rInheritsScript("data.frame", "an R data.frame")})
	r.MustAdd(Validator{Type: "tree", Format: "r.apetree", Runtime: formats.RuntimeR, Script: rInheritsScript("phylo", `an ape "phylo" tree`)})
	r.MustAdd(Validator{Type: "r", Format: "serialized", Run: func(ctx context.Context, _ converters.Env, v formats.Value) error {
		b, err := v.Payload()
		if err != nil {
			return err
		}
		return checkRSerialized(b)
	}})
}

// rInheritsScript is a validator snippet: TRUE for an object of class, else
// a message naming what it got.
func rInheritsScript(class, what string) string {
	return fmt.Sprintf(`output <- if (inherits(input, %q)) TRUE else paste0(%q, class(input)[1])
`, class, "expected "+what+", got ")
}

// checkRSerialized checks the header of serialize(ascii = TRUE) text: "A",
// the format version (2 or 3), then two integer version lines.
func checkRSerialized(b []byte) error {
	lines := bytes.SplitN(b, []byte("\n"), 5)
	if len(lines) < 5 || string(lines[0]) != "A" {
		return errors.New(`not R serialize(ascii = TRUE) text (it must start with the line "A"; readRDS files are binary: read them in an R step)`)
	}
	if v := string(lines[1]); v != "2" && v != "3" {
		return fmt.Errorf("R serialization format version %q is not 2 or 3", v)
	}
	for _, l := range lines[2:4] {
		if len(l) == 0 || bytes.IndexFunc(l, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return fmt.Errorf("R serialization header line %q is not a version number", l)
		}
	}
	return nil
}
