package progress

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// useFakeClock makes bars created from now on use a fake clock and the given Every.
func useFakeClock(t *testing.T, every time.Duration) *fakeClock {
	t.Helper()
	c := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	oldNow, oldEvery := now, Every
	now, Every = c.now, every
	t.Cleanup(func() { now, Every = oldNow, oldEvery })
	return c
}

func lines(buf *bytes.Buffer) []string {
	s := strings.TrimSuffix(buf.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestPlainLines(t *testing.T) {
	clock := useFakeClock(t, 10*time.Second)
	var buf bytes.Buffer
	b := New(&buf, "train", 1000)
	clock.advance(time.Second)
	b.Add(100)
	if buf.Len() != 0 {
		t.Fatalf("a line before Every passed: %q", buf.String())
	}
	clock.advance(9 * time.Second)
	b.Add(20) // 120 units in 10 s: 12/s, 880 left: 73.3 s
	clock.advance(5 * time.Second)
	b.Describe("loss 0.53") // 5 s after the last line: none
	clock.advance(5 * time.Second)
	b.Add(0) // 120 in 20 s: 6/s, 880 left: 146.7 s
	clock.advance(5 * time.Second)
	b.Finish()
	b.Finish()
	b.Add(5)
	b.Set(7)
	b.Describe("after")
	want := []string{
		"train: 120/1000 (12.0%), 12/s, ETA 1m13s",
		"train: 120/1000 (12.0%), 6/s, ETA 2m27s, loss 0.53",
		"train: 120/1000 (12.0%), 4.8/s, done in 25s, loss 0.53",
	}
	got := lines(&buf)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestUnknownTotal(t *testing.T) {
	clock := useFakeClock(t, time.Second)
	var buf bytes.Buffer
	b := New(&buf, "self-play", 0)
	clock.advance(40 * time.Second)
	b.Add(3)
	clock.advance(20 * time.Second)
	b.Finish()
	want := []string{"self-play: 3, 4.5/min", "self-play: 3, 3/min, done in 1m0s"}
	if got := lines(&buf); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines %q, want %q", got, want)
	}
}

func TestResumeIsTheRateBaseline(t *testing.T) {
	clock := useFakeClock(t, 10*time.Second)
	var buf bytes.Buffer
	b := New(&buf, "epoch 3", 1000)
	clock.advance(2 * time.Second)
	b.Set(500) // resumed here: the rate counts from 500 at 2 s
	clock.advance(10 * time.Second)
	b.Add(100) // 100 in 10 s: 10/s, 400 left: 40 s
	b.Finish()
	want := []string{
		"epoch 3: 600/1000 (60.0%), 10/s, ETA 40s",
		"epoch 3: 600/1000 (60.0%), 10/s, done in 12s",
	}
	if got := lines(&buf); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines %q, want %q", got, want)
	}
}

func TestSetAfterAddMovesTheCount(t *testing.T) {
	clock := useFakeClock(t, time.Second)
	var buf bytes.Buffer
	b := New(&buf, "p", 10)
	b.Add(1)
	clock.advance(2 * time.Second)
	b.Set(4) // absolute; the baseline stays at 0 units at the start
	got := lines(&buf)
	if len(got) != 1 || got[0] != "p: 4/10 (40.0%), 2/s, ETA 3s" {
		t.Errorf("lines %q", got)
	}
}

func TestNoRateBeforeTimePasses(t *testing.T) {
	useFakeClock(t, 0)
	var buf bytes.Buffer
	b := New(&buf, "p", 10)
	b.Add(1)
	b.Finish()
	want := []string{"p: 1/10 (10.0%), ETA ?", "p: 1/10 (10.0%), done in 0s"}
	if got := lines(&buf); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines %q, want %q", got, want)
	}
}

func TestNilZeroAndDiscardDoNothing(t *testing.T) {
	var nilBar *Bar
	var zero Bar
	for _, b := range []*Bar{nilBar, &zero, New(io.Discard, "x", 10), New(nil, "x", 10)} {
		b.Add(1)
		b.Set(2)
		b.Describe("d")
		b.Finish()
		b.Finish()
	}
	if b := New(io.Discard, "x", 10); b != nil {
		t.Errorf("New(io.Discard) = %v, want nil (a no-op bar)", b)
	}
}

func TestConcurrent(t *testing.T) {
	for _, terminal := range []bool{false, true} {
		name := "plain"
		if terminal {
			name = "terminal"
		}
		t.Run(name, func(t *testing.T) {
			useFakeClock(t, 0) // a plain line on every call
			var buf bytes.Buffer
			b := newBar(&buf, "work", 8000, terminal)
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					for i := range 1000 {
						b.Add(1)
						if i%100 == 0 {
							b.Describe("goroutine " + string(rune('0'+g)))
						}
					}
				})
			}
			wg.Go(func() { b.Set(0) })
			wg.Wait()
			b.Set(8000)
			b.Finish()
			out := strings.TrimSuffix(buf.String(), "\n")
			last := out[strings.LastIndexAny(out, "\r\n")+1:]
			if !strings.HasPrefix(last, "work: 8000/8000 (100.0%)") || !strings.Contains(last, "done in") {
				t.Errorf("last line %q", last)
			}
		})
	}
}

func TestTerminalBar(t *testing.T) {
	for _, total := range []int64{50, 0} {
		var buf bytes.Buffer
		b := newBar(&buf, "train", total, true)
		b.Add(10)
		b.Describe("loss 0.53")
		b.Add(5)
		b.Finish()
		out := buf.String()
		if !strings.Contains(out, "\r") {
			t.Errorf("total %d: no bar drawn in place: %q", total, out)
		}
		final := out[strings.LastIndex(out, "\r")+1:]
		if !strings.HasPrefix(strings.TrimLeft(final, " "), "train: 15") || !strings.HasSuffix(final, ", loss 0.53\n") {
			t.Errorf("total %d: final line %q", total, final)
		}
		// A spinner (unknown total) redraws on its own until Finish: make sure it stopped.
		n := buf.Len()
		time.Sleep(300 * time.Millisecond)
		if buf.Len() != n {
			t.Errorf("total %d: the bar drew after Finish: %q", total, buf.String()[n:])
		}
	}
}

func TestFormatRate(t *testing.T) {
	for _, c := range []struct {
		r    float64
		want string
	}{
		{3.4, "3.4/s"}, {12.25, "12.2/s"}, {1234.4, "1234/s"}, {0.5, "0.5/s"}, {0.1, "0.1/s"},
		{0.05, "3/min"}, {1.0 / 60, "1/min"}, {0.1 / 60, "0.1/min"}, {0.05 / 60, "3/h"}, {0, "0/s"},
	} {
		if got := formatRate(c.r); got != c.want {
			t.Errorf("formatRate(%v) = %q, want %q", c.r, got, c.want)
		}
	}
}
