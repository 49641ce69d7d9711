package converters

import (
	"context"
	"fmt"
	"io"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
)

// addR registers the converters of Girder Worker's r plugin. They run as R
// snippets in the r mode (weight WeightR per hop), so the path search only
// takes them where the target is an R object: newick → nested stays in Go.
//
// r.apetree → nested and → treestore were python tasks over rpy2 objects in
// Girder Worker. Here R only writes the tree as Newick with 17 significant
// digits (every double survives the trip exactly) and Go builds nested and
// treestore from it with the same code as the other tree formats: one
// implementation of those layouts, and no BSON library needed in R.
func addR(r *Registry) {
	r.MustAdd(Converter{Type: "r", From: "object", To: "serialized", Runtime: formats.RuntimeR, Script: rObjectToSerialized})
	r.MustAdd(Converter{Type: "r", From: "serialized", To: "object", Runtime: formats.RuntimeR, Script: rSerializedToObject})

	r.MustAdd(Converter{Type: "table", From: "csv", To: "r.dataframe", Runtime: formats.RuntimeR, Script: rCSVToDataframe})
	r.MustAdd(Converter{Type: "table", From: "r.dataframe", To: "csv", Runtime: formats.RuntimeR, Script: rDataframeToCSV})

	r.MustAdd(Converter{Type: "tree", From: "newick", To: "r.apetree", Runtime: formats.RuntimeR, Script: rNewickToApe})
	r.MustAdd(Converter{Type: "tree", From: "nexus", To: "r.apetree", Runtime: formats.RuntimeR, Script: rNexusToApe})
	r.MustAdd(Converter{Type: "tree", From: "r.apetree", To: "newick", Runtime: formats.RuntimeR, Script: rApeToNewick})
	r.MustAdd(Converter{Type: "tree", From: "r.apetree", To: "nexus", Runtime: formats.RuntimeR, Script: rApeToNexus})
	r.MustAdd(Converter{Type: "tree", From: "r.apetree", To: "nested", Runtime: formats.RuntimeR, Run: viaExactNewick(newickToNested)})
	r.MustAdd(Converter{Type: "tree", From: "r.apetree", To: "treestore", Runtime: formats.RuntimeR, Run: viaExactNewick(newickToTreeStore)})
}

// requireR stops with the package to install when an R package is missing
// (the r mode adds the Debian package and install.packages call).
func requireR(pkg string) string {
	return fmt.Sprintf("if (!requireNamespace(%q, quietly = TRUE)) library(%q)\n", pkg, pkg)
}

// version = 2 keeps the reference's text: c(1,2,3) gives "A\n2\n<R version>\n
// 131840\n14\n3\n1\n2\n3\n" (version 3 adds a native-encoding header).
const rObjectToSerialized = `output <- rawToChar(serialize(input, NULL, ascii = TRUE, version = 2))
`

const rSerializedToObject = `output <- unserialize(charToRaw(input))
`

// The reference's rules: names as written (check.names = FALSE), an empty
// header cell becomes "X", and a first column without duplicates (nor
// missing values, which row names cannot hold) also names the rows.
const rCSVToDataframe = `output <- utils::read.csv(text = input, check.names = FALSE)
names(output)[names(output) == ""] <- "X"
if (ncol(output) > 0 && !anyDuplicated(output[[1]]) && !anyNA(output[[1]])) {
  rownames(output) <- as.character(output[[1]])
}
`

const rDataframeToCSV = `con <- textConnection("lines", "w", local = TRUE)
utils::write.csv(input, con, row.names = FALSE)
close(con)
output <- paste(lines, collapse = "\n")
`

var (
	rNewickToApe = requireR("ape") + `output <- ape::read.tree(text = input)
if (is.null(output)) stop("no tree in the newick text")
`
	rNexusToApe = requireR("ape") + `f <- tempfile(tmpdir = tempdir, fileext = ".nex")
cat(input, file = f)
output <- ape::read.nexus(f)
`
	rApeToNewick = requireR("ape") + `output <- ape::write.tree(input)
`
	rApeToNexus = requireR("ape") + `f <- tempfile(tmpdir = tempdir, fileext = ".nex")
ape::write.nexus(input, file = f)
output <- readChar(f, file.size(f), useBytes = TRUE)
`
	rApeToExactNewick = requireR("ape") + `if (!inherits(input, "phylo")) stop("expected an ape phylo tree, got ", class(input)[1])
output <- ape::write.tree(input, digits = 17)
`
)

// viaExactNewick runs rApeToExactNewick in R, then a Go conversion of the
// Newick text.
func viaExactNewick(then func(formats.Value) (formats.Value, error)) Func {
	return func(ctx context.Context, env Env, in formats.Value) (formats.Value, error) {
		mode, err := env.Modes.Get(formats.RuntimeR)
		if err != nil {
			return formats.Value{}, fmt.Errorf("needs the r runtime: %w", err)
		}
		task := &modes.Task{
			Name:    "convert tree/r.apetree->newick",
			Mode:    formats.RuntimeR,
			Script:  rApeToExactNewick,
			Inputs:  []modes.Port{{Name: "input", Type: "tree", Format: "r.apetree", Rep: formats.RepBinary, Runtime: formats.RuntimeR, Target: "memory"}},
			Outputs: []modes.Port{{Name: "output", Type: "tree", Format: "newick", Rep: formats.RepText, Target: "memory"}},
		}
		outs, err := mode.Run(ctx, modes.Request{Task: task, Inputs: map[string]formats.Value{"input": in}, WorkDir: env.WorkDir, Log: io.Discard})
		if err != nil {
			return formats.Value{}, err
		}
		nwk, ok := outs["output"]
		if !ok {
			return formats.Value{}, fmt.Errorf("the R snippet set no output")
		}
		nwk.Type, nwk.Format = "tree", "newick"
		return then(nwk)
	}
}

// newickToTreeStore writes Arbor TreeStore documents the way Girder Worker
// numbered ape's nodes: tips 0..n-1 in order of appearance, then internal
// nodes in preorder (the root first), then a handle document. A node
// without a length gets no branch_length (Girder Worker crashed on those).
func newickToTreeStore(in formats.Value) (formats.Value, error) {
	text, err := treeTextOf(in)
	if err != nil {
		return formats.Value{}, err
	}
	trees, err := formats.ParseNewickAll(text)
	if err != nil {
		return formats.Value{}, err
	}
	if len(trees) != 1 {
		return formats.Value{}, fmt.Errorf("the newick text holds %d trees; treestore holds one", len(trees))
	}
	t := trees[0]
	ids := map[*formats.TreeNode]int64{}
	var tips, internal []*formats.TreeNode
	t.Walk(func(n *formats.TreeNode, _ int) bool {
		if n.IsLeaf() {
			tips = append(tips, n)
		} else {
			internal = append(internal, n)
		}
		return true
	})
	for i, n := range tips {
		ids[n] = int64(i)
	}
	for i, n := range internal {
		ids[n] = int64(len(tips) + i)
	}
	docs := make([]any, 0, len(tips)+len(internal)+1)
	for _, n := range append(tips, internal...) {
		d := formats.BSONDoc{{Key: "_id", Value: ids[n]}}
		if n.IsLeaf() {
			d = append(d, formats.BSONElem{Key: "name", Value: n.Name})
		} else {
			clades := make([]any, len(n.Children))
			for i, c := range n.Children {
				clades[i] = ids[c]
			}
			d = append(d, formats.BSONElem{Key: "clades", Value: clades})
		}
		if n != t.Root && n.HasLength {
			d = append(d, formats.BSONElem{Key: "branch_length", Value: n.Length})
		}
		docs = append(docs, d)
	}
	docs = append(docs, formats.BSONDoc{{Key: "_id", Value: int64(len(docs))}, {Key: "rooted", Value: true}, {Key: "clades", Value: []any{ids[t.Root]}}})
	b, err := formats.EncodeBSON(docs)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Bytes: b}, nil
}
