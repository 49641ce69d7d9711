package modes

import (
	"strings"
	"testing"

	"github.com/truss-dev/truss/formats"
)

func TestWhere(t *testing.T) {
	for _, tc := range []struct {
		task Task
		want string
	}{
		{Task{ScriptFile: "tasks/fit.R"}, "tasks/fit.R line 3"},
		{Task{ScriptLine: 10}, "script line 3, spec line 12"},
		{Task{}, "script line 3"}, // converter snippets have no spec line
	} {
		if got := tc.task.Where(3); got != tc.want {
			t.Errorf("Where(3) on %+v = %q, want %q", tc.task, got, tc.want)
		}
	}
}

func TestCrossingOf(t *testing.T) {
	for _, tc := range []struct {
		port Port
		want Crossing
		err  string
	}{
		{Port{Name: "n", Rep: formats.RepData}, CrossData, ""},
		{Port{Name: "csv", Rep: formats.RepText}, CrossText, ""},
		{Port{Name: "png", Rep: formats.RepBinary}, CrossBytes, ""},
		{Port{Name: "d", Rep: formats.RepPath}, CrossPath, ""},
		{Port{Name: "f", Rep: formats.RepText, Target: "filepath"}, CrossPath, ""},
		{Port{Name: "df", Rep: formats.RepBinary, Runtime: formats.RuntimeR}, CrossNative, ""},
		{Port{Name: "g", Type: "graph", Format: "networkx", Rep: formats.RepBinary, Runtime: formats.RuntimePython}, 0,
			`port "g" is a python object (graph/networkx); r cannot use it`},
	} {
		got, err := CrossingOf(tc.port, formats.RuntimeR)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.port.Name, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %v, %v; want %v", tc.port.Name, got, err, tc.want)
		}
	}
	if got := PortLabel([]Port{{Name: "a"}, {Name: "b", Type: "table", Format: "rows"}}, "b"); got != " (table/rows)" {
		t.Errorf("PortLabel = %q", got)
	}
}
