package r

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
	"github.com/truss-dev/truss/modes"
)

// markerVar is set in the environment of every R process a test starts, so
// the tests can find them in /proc.
const markerVar = "TRUSS_R_TEST_MARKER"

// newMode opens a mode closed at the end of the test. Its processes carry
// a fresh marker in their environment, returned for markedProcesses.
func newMode(t *testing.T, opts Options) (*Mode, string) {
	t.Helper()
	testenv.Tool(t, "Rscript")
	marker := strings.ReplaceAll(t.Name(), "/", "_") + "-" + strconv.Itoa(os.Getpid())
	t.Setenv(markerVar, marker)
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if left := testenv.Marked(markerVar, marker); len(left) > 0 {
			t.Errorf("processes left running after Close: %v", left)
		}
	})
	return m, marker
}

// port builds a port of a registered format.
func port(t testing.TB, name, typ, format string) modes.Port {
	t.Helper()
	f, ok := formats.Default().Lookup(typ, format)
	if !ok {
		t.Fatalf("unknown format %s/%s", typ, format)
	}
	return modes.Port{Name: name, Type: typ, Format: format, Rep: f.Rep, Runtime: f.Runtime}
}

// run runs a script with the given ports and inputs in a fresh work dir.
func run(t testing.TB, m *Mode, name, script string, ins []modes.Port, outs []modes.Port, vals map[string]formats.Value) (map[string]formats.Value, string, error) {
	t.Helper()
	var log bytes.Buffer
	res, err := m.Run(context.Background(), modes.Request{
		Task:    &modes.Task{Name: name, Mode: "r", Script: script, Inputs: ins, Outputs: outs},
		Inputs:  vals,
		WorkDir: t.TempDir(),
		Log:     &log,
	})
	return res, log.String(), err
}
