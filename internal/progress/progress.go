package progress

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Every is the least time between two plain lines. New reads it, so a
// change applies to bars started afterwards.
var Every = 10 * time.Second

// now is the clock; tests replace it.
var now = time.Now

// Bar reports the progress of one phase. Create it with New; the zero
// value and a nil *Bar do nothing.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	phase    string
	total    int64
	every    time.Duration
	clock    func() time.Time
	n        int64
	extra    string
	start    time.Time // of the phase
	base     int64     // count at rateT, the rate's baseline
	rateT    time.Time
	touched  bool // Add or Set was called
	lastLine time.Time
	finished bool
	tty      *progressbar.ProgressBar // nil: plain lines
}

// New starts reporting a phase of total units (total <= 0: unknown) to
// w. On a terminal it draws a bar with count, rate and ETA; elsewhere it
// writes a plain line at most every Every and one at Finish. Call Finish
// when the phase ends (on a terminal it also stops the bar's redrawing).
func New(w io.Writer, phase string, total int64) *Bar {
	if w == nil || w == io.Discard {
		return nil
	}
	if total < 0 {
		total = 0
	}
	f, ok := w.(*os.File)
	return newBar(w, phase, total, ok && term.IsTerminal(int(f.Fd())))
}

func newBar(w io.Writer, phase string, total int64, terminal bool) *Bar {
	t := now()
	b := &Bar{w: w, phase: phase, total: total, every: Every, clock: now, start: t, rateT: t, lastLine: t}
	if terminal {
		b.tty = newTerminalBar(w, phase, total)
	}
	return b
}

func newTerminalBar(w io.Writer, phase string, total int64) *progressbar.ProgressBar {
	max := total
	if max <= 0 {
		max = -1 // a spinner
	}
	return progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(phase),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionShowTotalBytes(total > 0), // "120/1000"; "120" without a total
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("it"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(), // Finish writes its own line
		progressbar.OptionSetRenderBlankState(true),
	)
}

// Add counts n more units done.
func (b *Bar) Add(n int64) {
	if b == nil || b.w == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.touched = true
	b.n += n
	b.update(func(p *progressbar.ProgressBar) { p.Add64(n) })
}

// Set sets the count of units done to n. A first Set before any Add is
// where the phase resumes: the rate counts from there.
func (b *Bar) Set(n int64) {
	if b == nil || b.w == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	if !b.touched {
		b.base, b.rateT = n, b.clock()
	}
	b.touched = true
	b.n = n
	b.update(func(p *progressbar.ProgressBar) { p.Set64(n) })
}

// Describe sets extra text shown after the counts, such as "loss 0.53";
// "" removes it.
func (b *Bar) Describe(s string) {
	if b == nil || b.w == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.extra = s
	b.update(func(p *progressbar.ProgressBar) { p.Describe(b.description()) })
}

// Finish ends the phase with a final line (the count where it stopped,
// the rate and the elapsed time). Later calls, and calls of the other
// methods after it, do nothing.
func (b *Bar) Finish() {
	if b == nil || b.w == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.finished = true
	if b.tty != nil {
		b.tty.Finish() // clears the bar (and stops a spinner's redrawing)
	}
	fmt.Fprintln(b.w, b.line(b.clock(), true))
}

// update passes a change to the terminal bar, or writes a plain line if
// Every has passed since the last. b.mu is held.
func (b *Bar) update(tty func(*progressbar.ProgressBar)) {
	if b.tty != nil {
		tty(b.tty)
		return
	}
	t := b.clock()
	if t.Sub(b.lastLine) < b.every {
		return
	}
	b.lastLine = t
	fmt.Fprintln(b.w, b.line(t, false))
}

func (b *Bar) description() string {
	if b.extra == "" {
		return b.phase
	}
	return b.phase + ": " + b.extra
}

// line formats "phase: 120/1000 (12.0%), 3.4/s, ETA 4m18s, extra", with
// "done in 4m54s" in place of the ETA when final.
func (b *Bar) line(t time.Time, final bool) string {
	var sb strings.Builder
	sb.WriteString(b.phase)
	sb.WriteString(": ")
	if b.total > 0 {
		fmt.Fprintf(&sb, "%d/%d (%.1f%%)", b.n, b.total, 100*float64(b.n)/float64(b.total))
	} else {
		fmt.Fprintf(&sb, "%d", b.n)
	}
	rate := math.NaN()
	if dt := t.Sub(b.rateT).Seconds(); dt > 0 {
		rate = float64(b.n-b.base) / dt
	}
	if !math.IsNaN(rate) {
		sb.WriteString(", ")
		sb.WriteString(formatRate(rate))
	}
	switch {
	case final:
		fmt.Fprintf(&sb, ", done in %s", formatDuration(t.Sub(b.start)))
	case b.total > 0:
		if rate > 0 {
			left := float64(b.total-b.n) / rate
			fmt.Fprintf(&sb, ", ETA %s", formatDuration(time.Duration(math.Max(left, 0)*float64(time.Second))))
		} else {
			sb.WriteString(", ETA ?")
		}
	}
	if b.extra != "" {
		sb.WriteString(", ")
		sb.WriteString(b.extra)
	}
	return sb.String()
}

// formatRate writes a rate of units per second with three significant
// digits, per minute or per hour when slower than one every ten seconds.
func formatRate(r float64) string {
	unit := "s"
	switch {
	case r > 0 && r*60 < 0.1:
		r, unit = r*3600, "h"
	case r > 0 && r < 0.1:
		r, unit = r*60, "min"
	}
	if r >= 100 {
		return fmt.Sprintf("%.0f/%s", r, unit)
	}
	return fmt.Sprintf("%.3g/%s", r, unit)
}

// formatDuration rounds d to the second (to 0.1 s below 10 s).
func formatDuration(d time.Duration) string {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
