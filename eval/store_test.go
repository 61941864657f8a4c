package eval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/corl-go/corl/trace"
)

// fake is a deterministic run: its numbers come from the job alone.
func fake(_ context.Context, j Job) (Outcome, error) {
	n := int64(len(j.Instance)*7+len(j.Policy)*3) + int64(j.Seed) + j.Episode
	r := trace.Result{Env: "test", Instance: j.Instance, Policy: j.Policy, Seed: int64(j.Seed), Status: "optimal", Nodes: n, Objective: float64(n) / 2}
	steps := []trace.Step{
		{Env: "test", Instance: j.Instance, Policy: j.Policy, Episode: j.Episode, Step: 0, Action: n},
		{Env: "test", Instance: j.Instance, Policy: j.Policy, Episode: j.Episode, Step: 1, Action: n + 1, Done: true},
	}
	return Outcome{Result: r, Steps: steps}, nil
}

func testJobs() []Job {
	return InstanceJobs([]string{"a", "bb", "ccc", "dddd", "eeeee"}, []string{"x", "yy", "zzz"}, 4)
}

func readBoth(t *testing.T, out, tr string) ([]trace.Result, []trace.Step) {
	t.Helper()
	rows, err := trace.ReadOf[trace.Result](out)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := trace.Read(tr)
	if err != nil {
		t.Fatal(err)
	}
	return rows, steps
}

// evaluate runs jobs into a fresh store in dir and returns the files.
func evaluate(t *testing.T, dir string, workers int, resume bool, fn Func) (string, string, error) {
	t.Helper()
	out, tr := filepath.Join(dir, "out.parquet"), filepath.Join(dir, "steps.parquet")
	s, err := OpenStore(StoreConfig{Out: out, Trace: tr, Resume: resume})
	if err != nil {
		return out, tr, err
	}
	jobs := testJobs()
	if _, err := (Runner{Workers: workers, Store: s}).Run(context.Background(), jobs, fn); err != nil {
		return out, tr, err
	}
	return out, tr, s.Finish(jobs)
}

// Results come in job order for any number of workers.
func TestWorkersGiveJobOrder(t *testing.T) {
	jobs := testJobs()
	var want []trace.Result
	for _, j := range jobs {
		o, _ := fake(context.Background(), j)
		want = append(want, o.Result)
	}
	for _, w := range []int{1, 2, 5} {
		got, err := Runner{Workers: w}.Run(context.Background(), jobs, fake)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%d workers: %v\n%v\nwant %v", w, err, got, want)
		}
		out, tr, err := evaluate(t, t.TempDir(), w, false, fake)
		if err != nil {
			t.Fatal(err)
		}
		rows, steps := readBoth(t, out, tr)
		if !reflect.DeepEqual(rows, want) || len(steps) != 2*len(jobs) {
			t.Errorf("%d workers: files hold %d rows, %d steps, not in job order", w, len(rows), len(steps))
		}
		for i, st := range steps {
			j := jobs[i/2]
			if st.Instance != j.Instance || st.Policy != j.Policy || st.Step != int64(i%2) {
				t.Fatalf("%d workers: step row %d is %+v, want job %+v step %d", w, i, st, j, i%2)
			}
		}
	}
}

// An evaluation stopped after k runs keeps them, every file in its parts
// directory is readable, and a resume runs only the rest and writes what
// an uninterrupted evaluation writes.
func TestInterruptAndResume(t *testing.T) {
	whole, wholeSteps, err := evaluate(t, t.TempDir(), 1, false, fake)
	if err != nil {
		t.Fatal(err)
	}
	wantRows, wantSteps := readBoth(t, whole, wholeSteps)
	for _, stopAfter := range []int{0, 1, 7, 14} {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		var n atomic.Int32
		stopping := func(ctx context.Context, j Job) (Outcome, error) {
			if int(n.Add(1)) > stopAfter {
				cancel()
				<-ctx.Done() // this run is cut short
			}
			return fake(ctx, j)
		}
		s, err := OpenStore(StoreConfig{Out: filepath.Join(dir, "out.parquet"), Trace: filepath.Join(dir, "steps.parquet")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = Runner{Workers: 2, Store: s}.Run(ctx, testJobs(), stopping)
		if !errors.Is(err, ErrInterrupted) {
			t.Fatalf("stopped after %d: %v", stopAfter, err)
		}
		kept := checkParts(t, s.Dir())
		if kept != s.Finished() || kept > stopAfter {
			t.Errorf("stopped after %d: %d runs in parts, %d finished", stopAfter, kept, s.Finished())
		}
		if _, _, err := evaluate(t, dir, 1, false, fake); !errors.As(err, new(*UnfinishedError)) {
			t.Errorf("a new evaluation over unfinished parts: %v", err)
		}
		var ran atomic.Int32
		counting := func(ctx context.Context, j Job) (Outcome, error) { ran.Add(1); return fake(ctx, j) }
		out, tr, err := evaluate(t, dir, 3, true, counting)
		if err != nil {
			t.Fatal(err)
		}
		if int(ran.Load()) != len(testJobs())-kept {
			t.Errorf("resume ran %d jobs, want %d", ran.Load(), len(testJobs())-kept)
		}
		rows, steps := readBoth(t, out, tr)
		if !reflect.DeepEqual(rows, wantRows) || !reflect.DeepEqual(steps, wantSteps) {
			t.Errorf("stopped after %d, resumed: files differ from an uninterrupted evaluation", stopAfter)
		}
		if _, err := os.Stat(s.Dir()); !os.IsNotExist(err) {
			t.Errorf("parts directory left after Finish: %v", err)
		}
		// Resuming a finished evaluation runs nothing and writes the same.
		ran.Store(0)
		if out, tr, err = evaluate(t, dir, 1, true, counting); err != nil || ran.Load() != 0 {
			t.Fatalf("resume of a finished evaluation: %v, %d runs", err, ran.Load())
		}
		if rows, steps = readBoth(t, out, tr); !reflect.DeepEqual(rows, wantRows) || !reflect.DeepEqual(steps, wantSteps) {
			t.Errorf("resume of a finished evaluation changed its files")
		}
	}
}

// checkParts reads every visible file of a parts directory and returns
// the number of finished runs.
func checkParts(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	runs := 0
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."), e.Name() == settingsFile:
		case strings.HasSuffix(e.Name(), ".steps.parquet"):
			if _, err := trace.Read(p); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		default:
			rows, err := trace.ReadOf[trace.Result](p)
			if err != nil {
				t.Errorf("%s: %v", p, err)
			}
			runs += len(rows)
		}
	}
	return runs
}

// A steps part without its results part (a kill between the two renames)
// is dropped, and its runs run again.
func TestOrphanStepsPartIsDropped(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(StoreConfig{Out: filepath.Join(dir, "out.parquet"), Trace: filepath.Join(dir, "steps.parquet")})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := fake(context.Background(), testJobs()[0])
	if err := s.Add(o); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(s.Dir(), "000000.parquet"))
	out, tr, err := evaluate(t, dir, 1, true, fake)
	if err != nil {
		t.Fatal(err)
	}
	if rows, steps := readBoth(t, out, tr); len(rows) != len(testJobs()) || len(steps) != 2*len(rows) {
		t.Errorf("%d rows, %d steps", len(rows), len(steps))
	}
}

// A kill while a resume builds its parts directory from finished output
// files leaves only the directory's temporary name: the next resume starts
// afresh from the outputs, losing none of their runs, and an evaluation
// never sees a parts directory without its settings.
func TestKillWhileCreatingPartsDir(t *testing.T) {
	dir := t.TempDir()
	out, tr, err := evaluate(t, dir, 1, false, fake)
	if err != nil {
		t.Fatal(err)
	}
	want, wantSteps := readBoth(t, out, tr)
	// What a kill right after the directory was made leaves: no settings,
	// no part; older versions made it under its final name.
	for _, d := range []string{out + ".parts.new", out + ".parts"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s, err := OpenStore(StoreConfig{Out: out, Trace: tr, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Resumed() != len(want) {
		t.Errorf("resumed %d runs, want the outputs' %d", s.Resumed(), len(want))
	}
	if _, err := os.Stat(out + ".parts.new"); !os.IsNotExist(err) {
		t.Errorf("the temporary directory is still there: %v", err)
	}
	calls := atomic.Int64{}
	count := func(ctx context.Context, j Job) (Outcome, error) { calls.Add(1); return fake(ctx, j) }
	if _, err := (Runner{Workers: 1, Store: s}).Run(context.Background(), testJobs(), count); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(testJobs()); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 0 {
		t.Errorf("%d runs done again", calls.Load())
	}
	if rows, steps := readBoth(t, out, tr); !reflect.DeepEqual(rows, want) || !reflect.DeepEqual(steps, wantSteps) {
		t.Errorf("after the resume: %d rows, %d steps; want %d, %d", len(rows), len(steps), len(want), len(wantSteps))
	}
}

func TestResumeWithOtherSettingsIsRefused(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.parquet")
	if _, err := OpenStore(StoreConfig{Out: out, Settings: map[string]string{"time_limit": "10"}}); err != nil {
		t.Fatal(err)
	}
	_, err := OpenStore(StoreConfig{Out: out, Resume: true, Settings: map[string]string{"time_limit": "20"}})
	var se *SettingsError
	if !errors.As(err, &se) || se.Name != "time_limit" || se.Was != "10" || se.Now != "20" {
		t.Errorf("other time limit: %v", err)
	}
	_, err = OpenStore(StoreConfig{Out: out, Trace: filepath.Join(dir, "t.parquet"), Resume: true, Settings: map[string]string{"time_limit": "10"}})
	if !errors.As(err, &se) || se.Name != "trace" {
		t.Errorf("a trace the first runs did not write: %v", err)
	}
	if _, err := OpenStore(StoreConfig{Out: out, Resume: true, Settings: map[string]string{"time_limit": "10"}}); err != nil {
		t.Errorf("same settings: %v", err)
	}
}

// A setting recorded only when given (malloc's offsets, early_moves):
// resuming its runs without it is refused, naming it, unfinished or
// finished; an older record without the setting resumes a run without it.
func TestResumeWithoutARecordedSettingIsRefused(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.parquet")
	open := func(settings map[string]string) (*Store, error) {
		return OpenStore(StoreConfig{Out: out, Resume: true, Settings: settings})
	}
	with := map[string]string{"time_limit": "10", "early_moves": "3"}
	without := map[string]string{"time_limit": "10"}
	s, err := open(with)
	if err != nil {
		t.Fatal(err)
	}
	refused := func(when string) {
		t.Helper()
		_, err := open(without)
		var se *SettingsError
		if !errors.As(err, &se) || se.Name != "early_moves" || se.Was != "3" || se.Now != "(none)" || !se.Unset ||
			!strings.Contains(err.Error(), "early_moves 3") {
			t.Errorf("%s: made with early_moves 3, resumed without it: %v", when, err)
		}
	}
	refused("unfinished")
	jobs := testJobs()
	if _, err := (Runner{Workers: 2, Store: s}).Run(context.Background(), jobs, fake); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(jobs); err != nil {
		t.Fatal(err)
	}
	refused("finished")
	if s, err := open(with); err != nil || s.Resumed() != len(jobs) {
		t.Errorf("the same settings: %v", err)
	}
	// A record from before the setting: a run without it resumes, one
	// with it is refused.
	old := filepath.Join(dir, "old.parquet")
	if _, err := OpenStore(StoreConfig{Out: old, Settings: without}); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(StoreConfig{Out: old, Resume: true, Settings: without}); err != nil {
		t.Errorf("an older record without early_moves, resumed without it: %v", err)
	}
	var se *SettingsError
	if _, err := OpenStore(StoreConfig{Out: old, Resume: true, Settings: with}); !errors.As(err, &se) || se.Name != "early_moves" || se.Unset {
		t.Errorf("an older record without early_moves, resumed with it: %v", err)
	}
}

// A finished evaluation records its settings in Out: a resume with others
// is refused, with the same ones it runs nothing, and an Out without them
// (written before they were recorded) is resumed as before.
func TestResumeFinishedWithOtherSettingsIsRefused(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.parquet")
	jobs := testJobs()
	open := func(limit string) (*Store, error) {
		return OpenStore(StoreConfig{Out: out, Resume: true, Settings: map[string]string{"time_limit": limit}})
	}
	s, err := open("10")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (Runner{Workers: 2, Store: s}).Run(context.Background(), jobs, fake); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(jobs); err != nil {
		t.Fatal(err)
	}
	want, err := trace.ReadOf[trace.Result](out)
	if err != nil {
		t.Fatal(err)
	}
	_, err = open("20")
	var se *SettingsError
	if !errors.As(err, &se) || se.Dir != out || se.Name != "time_limit" || se.Was != "10" || se.Now != "20" {
		t.Fatalf("finished with time_limit 10, resumed with 20: %v", err)
	}
	for _, p := range []string{out + ".parts", out + ".parts.new"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("a refused resume left %s: %v", filepath.Base(p), err)
		}
	}
	if got, err := trace.ReadOf[trace.Result](out); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("a refused resume changed the finished file: %v", err)
	}
	if s, err = open("10"); err != nil || s.Resumed() != len(jobs) {
		t.Fatalf("same settings: %v", err)
	}
	if err := s.Finish(jobs); err != nil {
		t.Fatal(err)
	}
	// An Out with no recorded settings.
	if err := trace.WriteFile(out, want); err != nil {
		t.Fatal(err)
	}
	if s, err = open("20"); err != nil || s.Resumed() != len(jobs) {
		t.Errorf("an Out without settings: %v", err)
	}
}

// An error of one run stops the others and is returned; finished runs stay.
func TestRunErrorStops(t *testing.T) {
	boom := errors.New("boom")
	failing := func(ctx context.Context, j Job) (Outcome, error) {
		if j.Instance == "ccc" {
			return Outcome{}, boom
		}
		return fake(ctx, j)
	}
	_, err := Runner{Workers: 1}.Run(context.Background(), testJobs(), failing)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "x on ccc") {
		t.Errorf("err %v", err)
	}
	if err := (Runner{Workers: -1}).Validate(); err == nil {
		t.Error("Workers -1 accepted")
	}
}
