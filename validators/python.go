package validators

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
)

// addPython registers the validators of Python objects and pickles. Runtime
// objects are checked in Python (the input is unpickled before the snippet
// runs, so a pickle that does not load fails there too); pickles and netCDF
// bytes are checked in Go.
func addPython(r *Registry) {
	// Girder Worker's python/object validator accepts anything; unpickling
	// the value is the whole check.
	r.MustAdd(Validator{Type: "python", Format: "object", Runtime: formats.RuntimePython, Script: "output = True\n"})
	r.MustAdd(Validator{Type: "graph", Format: "networkx", Runtime: formats.RuntimePython,
		Script: isinstanceScript("import networkx", "networkx.Graph", "a networkx graph", "networkx", "python3-networkx", "networkx")})
	r.MustAdd(Validator{Type: "image", Format: "pil", Runtime: formats.RuntimePython,
		Script: isinstanceScript("from PIL import Image", "Image.Image", "a PIL image", "PIL", "python3-pil", "pillow")})
	r.MustAdd(Validator{Type: "netcdf", Format: "dataset", Runtime: formats.RuntimePython,
		Script: isinstanceScript("import netCDF4", "netCDF4.Dataset", "a netCDF4 Dataset", "netCDF4", "python3-netcdf4", "netCDF4")})

	r.MustAdd(Validator{Type: "python", Format: "pickle", Run: func(ctx context.Context, env converters.Env, v formats.Value) error {
		b, err := v.Payload()
		if err != nil {
			return err
		}
		return checkPickle(b)
	}})
	r.MustAdd(Validator{Type: "python", Format: "pickle.base64", Run: func(ctx context.Context, env converters.Env, v formats.Value) error {
		b, err := v.Payload()
		if err != nil {
			return err
		}
		raw, err := formats.DecodeBase64(b)
		if err != nil {
			return err
		}
		return checkPickle(raw)
	}})
	r.MustAdd(Validator{Type: "netcdf", Format: "binary", Run: func(ctx context.Context, env converters.Env, v formats.Value) error {
		b, err := v.Payload()
		if err != nil {
			return err
		}
		return checkNetCDF(b)
	}})
}

// isinstanceScript is a validator snippet: True for an instance of class,
// otherwise a message; a missing module is named with its package.
func isinstanceScript(imp, class, what, module, debian, pip string) string {
	return fmt.Sprintf(`try:
    %s
except ImportError:
    output = "python module %s is not installed (Debian: %s; pip: %s)"
else:
    if isinstance(input, %s):
        output = True
    else:
        t = type(input)
        output = "expected %s, got %%s.%%s" %% (t.__module__, t.__qualname__)
`, imp, module, debian, pip, class, what)
}

// checkPickle is a cheap structural check: every pickle, of any protocol,
// ends with the STOP opcode.
func checkPickle(b []byte) error {
	if len(b) == 0 {
		return errors.New("expected pickle bytes, got an empty value")
	}
	if b[len(b)-1] != '.' {
		return errors.New("not a pickle (it does not end with the pickle STOP opcode)")
	}
	return nil
}

// netCDF classic files start with CDF\x01 (classic), \x02 (64-bit offset)
// or \x05 (64-bit data); netCDF-4 files are HDF5, whose signature may sit
// after a user block of 512, 1024, 2048… bytes.
func checkNetCDF(b []byte) error {
	if len(b) >= 4 && bytes.HasPrefix(b, []byte("CDF")) && (b[3] == 1 || b[3] == 2 || b[3] == 5) {
		return nil
	}
	hdf5 := []byte("\x89HDF\r\n\x1a\n")
	for off := 0; off+len(hdf5) <= len(b); off = max(512, off*2) {
		if bytes.Equal(b[off:off+len(hdf5)], hdf5) {
			return nil
		}
	}
	return errors.New("not a netCDF file (no netCDF classic or HDF5 signature)")
}
