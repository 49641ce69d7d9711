package converters

import (
	"context"
	"fmt"

	"github.com/truss-dev/truss/formats"
)

// addPython registers the converters of Python objects: pickles (Go-native
// where the bytes already are what is wanted) and the runtime converters of
// networkx graphs, PIL images and netCDF datasets, which run as snippets in
// the python mode.
func addPython(r *Registry) {
	// A python/object value already crosses the Go boundary as pickle bytes
	// (DEFAULT_PROTOCOL), so object → pickle is the identity on those bytes:
	// no interpreter is started. The reverse goes through Python so bytes
	// that do not unpickle (or need a module that is missing) fail here, at
	// the conversion, as Girder Worker's cPickle.loads did.
	r.MustAdd(Converter{Type: "python", From: "object", To: "pickle", Run: bytesConverter(func(b []byte) ([]byte, error) {
		return b, nil
	})})
	r.MustAdd(Converter{Type: "python", From: "pickle", To: "object", Runtime: formats.RuntimePython, Script: pyPickleToObject})
	r.MustAdd(Converter{Type: "python", From: "pickle", To: "pickle.base64", Run: bytesConverter(func(b []byte) ([]byte, error) {
		return formats.EncodeBase64(b), nil
	})})
	r.MustAdd(Converter{Type: "python", From: "pickle.base64", To: "pickle", Run: bytesConverter(formats.DecodeBase64)})

	r.MustAdd(Converter{Type: "graph", From: "networkx", To: "networkx.json", Runtime: formats.RuntimePython, Script: pyNetworkxToJSON})
	r.MustAdd(Converter{Type: "graph", From: "networkx.json", To: "networkx", Runtime: formats.RuntimePython, Script: pyJSONToNetworkx})

	r.MustAdd(Converter{Type: "image", From: "png", To: "pil", Runtime: formats.RuntimePython, Script: pyImageToPIL})
	r.MustAdd(Converter{Type: "image", From: "jpeg", To: "pil", Runtime: formats.RuntimePython, Script: pyImageToPIL})
	r.MustAdd(Converter{Type: "image", From: "pil", To: "png", Runtime: formats.RuntimePython, Script: pyPILToPNG})
	r.MustAdd(Converter{Type: "image", From: "pil", To: "jpeg", Runtime: formats.RuntimePython, Lossy: true, Script: pyPILToJPEG})

	// Registered even when netCDF4 is not installed: the conversion then
	// fails naming the package to install.
	r.MustAdd(Converter{Type: "netcdf", From: "binary", To: "dataset", Runtime: formats.RuntimePython, Script: pyNetCDFToDataset})
}

// bytesConverter adapts a bytes → bytes function into a converter over text
// or binary values (a value held as a file is read first).
func bytesConverter(f func([]byte) ([]byte, error)) Func {
	return func(ctx context.Context, env Env, in formats.Value) (formats.Value, error) {
		b, err := in.Payload()
		if err != nil {
			return formats.Value{}, err
		}
		out, err := f(b)
		if err != nil {
			return formats.Value{}, err
		}
		if out == nil {
			out = []byte{}
		}
		return formats.Value{Bytes: out}, nil
	}
}

// importGuard imports a module or raises an ImportError naming the package
// that provides it.
func importGuard(stmt, module, debian, pip string) string {
	return fmt.Sprintf(`try:
    %s
except ImportError:
    raise ImportError("python module %s is not installed (Debian: %s; pip: %s)") from None
`, stmt, module, debian, pip)
}

var (
	guardNetworkx = importGuard("import networkx", "networkx", "python3-networkx", "networkx")
	guardPIL      = importGuard("from PIL import Image", "PIL", "python3-pil", "pillow")
	guardNetCDF4  = importGuard("import netCDF4", "netCDF4", "python3-netcdf4", "netCDF4")
)

const pyPickleToObject = `import pickle
output = pickle.loads(input)
`

// networkx ≥ 2 writes links by node id; Girder Worker's networkx 1.x wrote
// them as integer positions into "nodes", which is what its data and UIs
// read. The document is built by hand so every networkx version writes the
// 1.x form, with the 1.x key order.
var pyNetworkxToJSON = guardNetworkx + `import json
G = input
nodes = list(G.nodes(data=True))
index = {n: i for i, (n, _) in enumerate(nodes)}
node_docs = []
for n, attrs in nodes:
    d = dict(attrs)
    d["id"] = n
    node_docs.append(d)
links = []
if G.is_multigraph():
    for u, v, k, attrs in G.edges(keys=True, data=True):
        d = dict(attrs)
        d["source"], d["target"], d["key"] = index[u], index[v], k
        links.append(d)
else:
    for u, v, attrs in G.edges(data=True):
        d = dict(attrs)
        d["source"], d["target"] = index[u], index[v]
        links.append(d)
output = json.dumps({"directed": G.is_directed(), "graph": dict(G.graph), "nodes": node_docs,
                     "links": links, "multigraph": G.is_multigraph()})
`

// Reads the 1.x form (links by position). Documents from networkx ≥ 2
// (links by id, or an "edges" key) are read too: links are taken as
// positions only when every endpoint is an integer index into "nodes".
var pyJSONToNetworkx = guardNetworkx + `import json
d = json.loads(input)

def _hashable(x):
    return tuple(_hashable(e) for e in x) if isinstance(x, list) else x

multigraph, directed = bool(d.get("multigraph")), bool(d.get("directed"))
if multigraph:
    G = networkx.MultiDiGraph() if directed else networkx.MultiGraph()
else:
    G = networkx.DiGraph() if directed else networkx.Graph()
graph = d.get("graph") or {}
G.graph.update(dict(graph) if isinstance(graph, list) else graph)
ids = []
for n in d.get("nodes", []):
    attrs = dict(n)
    nid = _hashable(attrs.pop("id"))
    ids.append(nid)
    G.add_node(nid, **attrs)
links = d.get("links", d.get("edges", []))

def _pos(x):
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < len(ids)

positional = all(_pos(l["source"]) and _pos(l["target"]) for l in links)
for l in links:
    attrs = dict(l)
    s, t = attrs.pop("source"), attrs.pop("target")
    u, v = (ids[s], ids[t]) if positional else (_hashable(s), _hashable(t))
    if multigraph:
        G.add_edge(u, v, key=attrs.pop("key", None), **attrs)
    else:
        G.add_edge(u, v, **attrs)
output = G
`

var pyImageToPIL = guardPIL + `import io
output = Image.open(io.BytesIO(input))
output.load()
`

var pyPILToPNG = guardPIL + `import io
buf = io.BytesIO()
input.save(buf, format="PNG")
output = buf.getvalue()
`

// JPEG has no alpha: transparent pixels are composed onto white (as the Go
// png → jpeg converter does) instead of failing or turning black.
var pyPILToJPEG = guardPIL + `import io
img = input
if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
    img = img.convert("RGBA")
    flat = Image.new("RGB", img.size, (255, 255, 255))
    flat.paste(img, mask=img.getchannel("A"))
    img = flat
elif img.mode not in ("RGB", "L", "CMYK"):
    img = img.convert("RGB")
buf = io.BytesIO()
img.save(buf, format="JPEG")
output = buf.getvalue()
`

// The zygote's _truss_runtime module opens the bytes in memory and
// remembers them, so the dataset can be pickled to cross into the next step
// (a netCDF4.Dataset cannot be pickled by itself).
var pyNetCDFToDataset = guardNetCDF4 + `from _truss_runtime import netcdf_from_bytes
output = netcdf_from_bytes(input)
`
