package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/truss-dev/truss/dag"
	"github.com/truss-dev/truss/engine"
)

// progress shows a run as it goes: live bars on a terminal, plain lines
// otherwise. event is called from the scheduler goroutine, report (a
// step's own progress, e.g. a container's progress pipe) from workers.
type progress interface {
	event(engine.Event)
	report(n *dag.Node, text string)
	done()
}

// reportEvery limits plain progress lines per step, as Girder Worker
// rate-limits progress updates; the last report is in `truss show`.
const reportEvery = 500 * time.Millisecond

func (a *app) newProgress(plan *dag.Plan, quiet bool) progress {
	if a.isTTY {
		return newBars(a.stderr, plan)
	}
	return &lines{w: a.stderr, start: time.Now(), quiet: quiet}
}

// lines prints one line per step state change and per failure.
type lines struct {
	w     io.Writer
	start time.Time
	quiet bool

	mu   sync.Mutex
	last map[int]time.Time // when each step's progress was last printed
}

func (l *lines) report(n *dag.Node, text string) {
	if l.quiet {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[int]time.Time{}
	}
	if t, ok := l.last[n.Index]; ok && time.Since(t) < reportEvery {
		return
	}
	l.last[n.Index] = time.Now()
	fmt.Fprintf(l.w, "[%7.2fs] %s progress: %s\n", time.Since(l.start).Seconds(), n.ID, text)
}

func (l *lines) event(e engine.Event) {
	isStep := e.Node.Kind == dag.KindStep
	if e.Status != engine.Failed && (!isStep || l.quiet) {
		return
	}
	at := time.Since(l.start).Seconds()
	switch e.Status {
	case engine.Running:
		if e.Attempt > 1 {
			fmt.Fprintf(l.w, "[%7.2fs] %s running (attempt %d)\n", at, e.Node.ID, e.Attempt)
		} else {
			fmt.Fprintf(l.w, "[%7.2fs] %s running\n", at, e.Node.ID)
		}
	case engine.Succeeded:
		fmt.Fprintf(l.w, "[%7.2fs] %s succeeded (%s)\n", at, e.Node.ID, e.Elapsed.Round(time.Millisecond))
	case engine.Cached:
		fmt.Fprintf(l.w, "[%7.2fs] %s cached (outputs of %s)\n", at, e.Node.ID, e.Reason)
	case engine.Failed:
		fmt.Fprintf(l.w, "[%7.2fs] %s failed\n", at, e.Node.ID)
	case engine.Skipped:
		fmt.Fprintf(l.w, "[%7.2fs] %s skipped: %s\n", at, e.Node.ID, e.Reason)
	case engine.Pending:
		if e.Reason == "retrying" {
			fmt.Fprintf(l.w, "[%7.2fs] %s failed attempt %d, retrying: %v\n", at, e.Node.ID, e.Attempt, e.Err)
		}
	}
}

func (l *lines) done() {}

// bars shows an overall bar and one spinner per running step.
type bars struct {
	p     *mpb.Progress
	total *mpb.Bar
	nodes int64
	mu    sync.Mutex
	steps map[int]*mpb.Bar
	msgs  map[int]string // each running step's last progress report
}

func (b *bars) report(n *dag.Node, text string) {
	b.mu.Lock()
	b.msgs[n.Index] = text
	b.mu.Unlock()
}

func newBars(w io.Writer, plan *dag.Plan) *bars {
	p := mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(100*time.Millisecond))
	total := p.AddBar(int64(len(plan.Nodes)),
		mpb.PrependDecorators(decor.Name("nodes", decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d", decor.WCSyncSpace)),
		mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace)),
	)
	return &bars{p: p, total: total, nodes: int64(len(plan.Nodes)), steps: map[int]*mpb.Bar{}, msgs: map[int]string{}}
}

func (b *bars) event(e engine.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := e.Node.Index
	switch e.Status {
	case engine.Running:
		if e.Node.Kind != dag.KindStep {
			return
		}
		if _, ok := b.steps[i]; ok {
			return
		}
		b.steps[i] = b.p.AddSpinner(1,
			mpb.PrependDecorators(decor.Name(e.Node.ID, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.OnComplete(decor.Elapsed(decor.ET_STYLE_GO), "done"),
				decor.Any(func(decor.Statistics) string {
					b.mu.Lock()
					defer b.mu.Unlock()
					if m := b.msgs[i]; m != "" {
						return " " + m
					}
					return ""
				})),
			mpb.BarFillerClearOnComplete(),
		)
	case engine.Succeeded, engine.Cached, engine.Failed, engine.Skipped, engine.Cancelled:
		b.total.Increment()
		if bar, ok := b.steps[i]; ok {
			// Bars made with a positive total complete by reaching it
			// (SetTotal only applies to bars made with total <= 0).
			if e.Status == engine.Succeeded || e.Status == engine.Cached {
				bar.SetCurrent(1)
			} else {
				bar.Abort(false)
			}
			delete(b.steps, i)
		}
	}
}

// done settles every bar, so Wait (which waits for all of them) returns
// even when a cancelled run left nodes unreported.
func (b *bars) done() {
	b.mu.Lock()
	for _, bar := range b.steps {
		bar.Abort(false)
	}
	b.steps = map[int]*mpb.Bar{}
	b.total.SetCurrent(b.nodes)
	b.mu.Unlock()
	b.p.Wait()
}
