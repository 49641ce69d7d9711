package r

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
	"github.com/truss-dev/truss/modes"
)

func TestNumberInAndOut(t *testing.T) {
	m, _ := newMode(t, Options{Slots: 1})
	a := port(t, "a", "number", "number")
	b := port(t, "b", "number", "number")
	out, log, err := run(t, m, "add", "b <- a + 1\nprint(b)", []modes.Port{a}, []modes.Port{b},
		map[string]formats.Value{"a": {Type: "number", Format: "number", Data: int64(41)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out["b"].Data; got != int64(42) {
		t.Errorf("b = %#v, want 42", got)
	}
	if !strings.Contains(log, "[1] 42") {
		t.Errorf("log %q lacks the printed value", log)
	}
}

func TestFreshEnvironmentPerStep(t *testing.T) {
	m, _ := newMode(t, Options{Slots: 1})
	b := port(t, "b", "boolean", "boolean")
	if _, _, err := run(t, m, "one", "leak <- 1\nb <- TRUE", nil, []modes.Port{b}, nil); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, m, "two", `b <- exists("leak") || length(ls(globalenv())) > 1`, nil, []modes.Port{b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out["b"].Data != false {
		t.Errorf("the second step saw the first one's variables")
	}
}

func TestTempdirIsTheWorkDir(t *testing.T) {
	m, _ := newMode(t, Options{Slots: 1})
	s := port(t, "s", "string", "string")
	dir := t.TempDir()
	out, err := m.Run(context.Background(), modes.Request{
		Task:    &modes.Task{Name: "wd", Script: `s <- paste(tempdir, getwd(), is.function(base::tempdir), sep = "|")`, Outputs: []modes.Port{s}},
		WorkDir: dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := dir + "|" + dir + "|TRUE"; out["s"].Data != want {
		t.Errorf("s = %q, want %q", out["s"].Data, want)
	}
}

func TestStopNamesStepAndMessage(t *testing.T) {
	m, _ := newMode(t, Options{Slots: 1})
	_, _, err := run(t, m, "checker", "x <- 1\nstop(\"bad input\")\n", nil, nil, nil)
	var se *modes.StepError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a StepError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "checker") || !strings.Contains(msg, "bad input") || se.Line != 2 {
		t.Errorf("err = %q (line %d); want the step name, the R message and line 2", msg, se.Line)
	}
}

func TestMissingPackageSaysHowToInstall(t *testing.T) {
	m, _ := newMode(t, Options{Slots: 1})
	_, _, err := run(t, m, "needs", "library(notapkg)", nil, nil, nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"notapkg", "r-cran-notapkg", `install.packages("notapkg")`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestWarningsLandInTheLog(t *testing.T) {
	m, _ := newMode(t, Options{Slots: 1})
	n := port(t, "n", "number", "number")
	out, log, err := run(t, m, "warns", "n <- as.numeric(\"x\")\nn <- 3\nmessage(\"note\")", nil, []modes.Port{n}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out["n"].Data != int64(3) {
		t.Errorf("n = %#v", out["n"].Data)
	}
	if !strings.Contains(log, "NAs introduced by coercion") || !strings.Contains(log, "script line 1") || !strings.Contains(log, "note") {
		t.Errorf("log = %q; want the warning with its line, and the message", log)
	}
}

func TestLengthOneObjectStaysAnObject(t *testing.T) {
	m, _ := newMode(t, Options{Slots: 1})
	obj := port(t, "x", "r", "object")
	out, _, err := run(t, m, "make", "x <- 5", nil, []modes.Port{obj}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := out["x"]
	if v.Bytes == nil || v.Data != nil {
		t.Fatalf("r/object output = %v; want serialize() bytes", v)
	}
	ok := port(t, "ok", "boolean", "boolean")
	res, _, err := run(t, m, "use", "ok <- identical(x, 5)", []modes.Port{obj}, []modes.Port{ok}, map[string]formats.Value{"x": v})
	if err != nil {
		t.Fatal(err)
	}
	if res["ok"].Data != true {
		t.Error("the object did not come back as the length-1 vector 5")
	}
}

func TestListsStayLists(t *testing.T) {
	m, _ := newMode(t, Options{Slots: 1})
	l := port(t, "l", "number_list", "number_list")
	out, _, err := run(t, m, "one", "l <- c(1.5)", nil, []modes.Port{l}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := out["l"].Data.([]any); !ok || len(got) != 1 || got[0] != 1.5 {
		t.Errorf("l = %#v, want [1.5]", out["l"].Data)
	}
}

func TestMissingOutputListsWhatWasSet(t *testing.T) {
	m, _ := newMode(t, Options{Slots: 1})
	b := port(t, "b", "number", "number")
	_, _, err := run(t, m, "forgot", "bb <- 1", nil, []modes.Port{b}, nil)
	var me *modes.MissingOutputError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), `"bb"`) {
		t.Errorf("err = %v; want a missing output naming bb", err)
	}
}

func TestSyntaxError(t *testing.T) {
	m, _ := newMode(t, Options{Slots: 1})
	_, _, err := run(t, m, "typo", "x <- (1 +", nil, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "typo") || !strings.Contains(err.Error(), "unexpected") {
		t.Errorf("err = %v", err)
	}
}

// A step killed by its timeout leaves no R process (nor what it started)
// behind, and the slot works again afterwards.
func TestTimeoutLeavesNoProcess(t *testing.T) {
	m, marker := newMode(t, Options{Slots: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := m.Run(ctx, modes.Request{
		Task:    &modes.Task{Name: "slow", Script: "system(\"sleep 60\")\nSys.sleep(60)"},
		WorkDir: t.TempDir(),
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	// The group was killed with SIGKILL; the kernel may take a moment to
	// tear the processes down, so poll (this is not a timing assertion).
	var left []string
	for i := 0; i < 100; i++ {
		if left = testenv.Marked(markerVar, marker); len(left) == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Fatalf("processes left after the timeout: %v", left)
	}
	b := port(t, "b", "number", "number")
	out, _, err := run(t, m, "after", "b <- 2", nil, []modes.Port{b}, nil)
	if err != nil || out["b"].Data != int64(2) {
		t.Errorf("the slot did not recover: %v %v", out, err)
	}
}

func TestConcurrentSlots(t *testing.T) {
	m, _ := newMode(t, Options{Slots: 2})
	b := port(t, "b", "number", "number")
	a := port(t, "a", "number", "number")
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, _, err := run(t, m, "c", "b <- a * 2", []modes.Port{a}, []modes.Port{b},
				map[string]formats.Value{"a": {Data: int64(i)}})
			if err != nil {
				t.Error(err)
				return
			}
			if out["b"].Data != int64(2*i) {
				t.Errorf("b = %v, want %d", out["b"].Data, 2*i)
			}
		}()
	}
	wg.Wait()
}

func TestRunAfterCloseFails(t *testing.T) {
	m, _ := newMode(t, Options{Slots: 1})
	if _, _, err := run(t, m, "x", "1", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, m, "x", "1", nil, nil, nil); !errors.Is(err, errClosed) {
		t.Errorf("err = %v", err)
	}
}

func TestUnknownExecutable(t *testing.T) {
	if _, err := New(Options{Executable: "no-such-Rscript"}); err == nil || !strings.Contains(err.Error(), "r.executable") {
		t.Errorf("err = %v", err)
	}
}
