package cli

import (
	"strings"
	"testing"

	"github.com/truss-dev/truss/internal/testenv"
)

const phyloSpec = "../examples/phylo/workflow.yaml"

// The plan of the mixed python/R example shows the converter nodes truss
// inserted for the R step.
func TestPhyloPlanShowsRConverters(t *testing.T) {
	o := truss(t, "plan", phyloSpec)
	if o.code != 0 {
		t.Fatalf("exit %d\n%s", o.code, o.stderr)
	}
	for _, want := range []string{
		"+ clean.table~rows>csv",
		"+ clean.table~csv>r.dataframe",
		"convert table/csv → r.dataframe (r)",
		"+ input:tree~newick>r.apetree",
		"+ contrasts.contrasts~r.dataframe>csv",
		"r step",
	} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, o.stdout)
		}
	}
}

// The example runs end to end: python cleans the table, R fits
// phylogenetic independent contrasts with ape, python summarises.
func TestPhyloExampleRuns(t *testing.T) {
	testenv.Tool(t, "Rscript")
	doc := runDoc(t, phyloSpec,
		"-i", "traits=@../examples/phylo/anolisDataAppended.csv",
		"-i", "tree=@../examples/phylo/anolis.phy")
	report := dataString(t, doc.Outputs["report"].Data)
	if !strings.HasPrefix(report, "99 independent contrasts; PCI_limbs ~ SVL through the origin: slope ") {
		t.Errorf("report = %q", report)
	}
	csv := dataString(t, doc.Outputs["contrasts"].Data)
	if lines := strings.Split(csv, "\n"); len(lines) != 100 || lines[0] != `"node","x","y"` {
		t.Errorf("contrasts csv: %d lines, header %q", len(lines), lines[0])
	}
}
