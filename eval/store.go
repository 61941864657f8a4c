package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/corl-go/corl/internal/atomicfile"
	"github.com/corl-go/corl/trace"
)

// Store keeps finished runs on disk as they finish, so that a killed
// evaluation loses only the runs in flight (and, with FlushEvery, those
// finished since the last flush), and a resumed one runs only what is
// missing.
//
// Runs go to small Parquet part files in a directory beside the output,
// Out + ".parts" (or Trace + ".parts" without Out): NNNNNN.parquet holds
// trace.Results, NNNNNN.steps.parquet the same runs' trace.Steps, and
// settings.json the settings the runs were made with. Each part is
// written to a hidden temporary file and renamed into place complete, the
// steps part before its results part, so every visible file is a
// readable Parquet file and a run counts as finished once its result is
// in a part. Finish merges the parts into Out and Trace, ordered by job,
// each by an atomic rename, and then removes the directory.
type Store struct {
	cfg   StoreConfig
	dir   string
	seq   int
	mu    sync.Mutex
	done  map[key]trace.Result
	run   string // the Run column of the first finished run, if any
	old   int    // runs finished before this Store was opened
	rows  []trace.Result
	steps []trace.Step
	last  time.Time
}

// StoreConfig says where a Store writes. Out or Trace must be set.
type StoreConfig struct {
	Out   string // Parquet file of trace.Results ("": none)
	Trace string // Parquet file of trace.Steps ("": none)
	// Resume continues the runs in the directory of parts, or in Out and
	// Trace when there is none. Without Resume a directory of parts is
	// refused with an *UnfinishedError.
	Resume bool
	// Settings are the name-value pairs that results depend on beyond the
	// job (time limits, engine, ...). A resume with other settings is
	// refused with a *SettingsError.
	Settings map[string]string
	// Before holds, for settings recorded only from some version on, the
	// value that the runs of an older record (one without the name) were
	// made with, worked out from the other settings: such a record is
	// resumed when the value equals Settings', and refused with a
	// *SettingsError with Missing set otherwise, or where Before has no
	// value for the name.
	Before map[string]string
	// FlushEvery is the longest time a finished run waits in memory
	// before its part is written (0: none, a part per finished run, so a
	// kill loses only the runs in flight).
	FlushEvery time.Duration
}

const settingsFile = "settings.json"

// settingsKey is the key-value metadata of a finished Out that holds the
// evaluation's settings, so that a resume of a finished evaluation is
// checked as one of an unfinished one.
const settingsKey = "corl.eval.settings"

// OpenStore opens the store of an evaluation.
func OpenStore(cfg StoreConfig) (*Store, error) {
	primary := cfg.Out
	if primary == "" {
		primary = cfg.Trace
	}
	if primary == "" {
		return nil, &ConfigError{"StoreConfig.Out", `""`, "a file (or a Trace)"}
	}
	settings := map[string]string{"trace": strconv.FormatBool(cfg.Trace != "")}
	for k, v := range cfg.Settings {
		settings[k] = v
	}
	cfg.Settings = settings
	s := &Store{cfg: cfg, dir: primary + ".parts", done: map[key]trace.Result{}, last: time.Now()}
	_, err := os.Stat(s.dir)
	switch {
	case err == nil && !cfg.Resume:
		n, _ := s.load()
		return nil, &UnfinishedError{Dir: s.dir, Runs: n}
	case err == nil && s.unborn():
		// Made by a kill before its settings were written (older
		// versions built it in place): it holds no run.
		if err := os.RemoveAll(s.dir); err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		if err := s.create(); err != nil {
			return nil, err
		}
	case err == nil:
		if err := s.checkSettings(); err != nil {
			return nil, err
		}
		if _, err := s.load(); err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := s.create(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("eval: %w", err)
	}
	s.old = len(s.done)
	return s, nil
}

// create makes the directory of parts; when resuming, the finished
// output files become its first part. The directory is built under a
// temporary name and renamed into place, so a kill leaves either no
// directory or one with its settings and every run of the outputs.
func (s *Store) create() error {
	final := s.dir
	tmp := final + ".new"
	if err := os.RemoveAll(tmp); err != nil { // left by a kill
		return fmt.Errorf("eval: %w", err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	b, _ := json.MarshalIndent(s.cfg.Settings, "", "  ")
	if err := atomicfile.Write(filepath.Join(tmp, settingsFile), append(b, '\n')); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if s.cfg.Resume && s.cfg.Out != "" {
		if err := s.adoptOutputs(tmp); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return nil
}

// adoptOutputs writes the runs of finished output files, if any, as the
// first part in dir.
func (s *Store) adoptOutputs(dir string) error {
	rows, meta, err := trace.ReadMeta[trace.Result](s.cfg.Out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	// Outputs written before their settings were recorded have none to
	// check.
	if b, ok := meta[settingsKey]; ok {
		var was map[string]string
		if err := json.Unmarshal([]byte(b), &was); err != nil {
			return fmt.Errorf("eval: %s: metadata %s: %w", s.cfg.Out, settingsKey, err)
		}
		if err := s.compareSettings(s.cfg.Out, was); err != nil {
			return err
		}
	}
	var steps []trace.Step
	if s.cfg.Trace != "" {
		if steps, err = trace.Read(s.cfg.Trace); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	s.rows, s.steps = rows, steps
	for _, r := range rows {
		s.remember(r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushTo(dir)
}

// unborn reports a parts directory with neither settings nor parts.
func (s *Store) unborn() bool {
	if _, err := os.Stat(filepath.Join(s.dir, settingsFile)); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if _, ok := partNumber(e.Name(), ".parquet"); ok {
			return false
		}
	}
	return true
}

func (s *Store) checkSettings() error {
	b, err := os.ReadFile(filepath.Join(s.dir, settingsFile))
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	var was map[string]string
	if err := json.Unmarshal(b, &was); err != nil {
		return fmt.Errorf("eval: %s: %w", filepath.Join(s.dir, settingsFile), err)
	}
	return s.compareSettings(s.dir, was)
}

// compareSettings refuses settings was, recorded at where, that differ
// from the Store's (CompareSettings).
func (s *Store) compareSettings(where string, was map[string]string) error {
	return CompareSettings(where, was, s.cfg.Settings, s.cfg.Before)
}

// CompareSettings refuses the settings was, recorded at where (a file or
// directory, named in the error), that differ from now: a name in one and
// not the other, or another value, as a *SettingsError. A name recorded
// only from some version on is absent from older records: before holds
// the value such a record stands for, and the record is accepted where
// that value equals now's (Missing is set where it does not, or where
// before does not know the name). A setting recorded only when it changes
// the runs is absent from both in older records and runs without it, and
// they are accepted. Every resumable evaluation (corl eval, corl-beam
// eval) checks its record with this one function.
func CompareSettings(where string, was, now, before map[string]string) error {
	names := make([]string, 0, len(now)+len(was))
	for k := range now {
		names = append(names, k)
	}
	for k := range was {
		if _, ok := now[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		then, had := was[k]
		v, has := now[k]
		if !had && has {
			if b, known := before[k]; known && b == v {
				continue
			}
			return &SettingsError{Dir: where, Name: k, Was: orNone(then, had), Now: v, Missing: true}
		}
		if had != has || then != v {
			return &SettingsError{Dir: where, Name: k, Was: orNone(then, had), Now: orNone(v, has), Unset: !has}
		}
	}
	return nil
}

func orNone(v string, ok bool) string {
	if !ok {
		return "(none)"
	}
	return v
}

// load reads the finished runs of the parts, removes temporary files and
// steps parts whose results part is missing (a kill between the two), and
// returns the number of runs.
func (s *Store) load() (int, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("eval: %w", err)
	}
	have := map[int]bool{}
	for _, e := range entries {
		if n, ok := partNumber(e.Name(), ".parquet"); ok {
			have[n] = true
		}
	}
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(s.dir, name)
		if strings.HasPrefix(name, ".") {
			os.Remove(p) // a part that was being written
			continue
		}
		if n, ok := partNumber(name, ".steps.parquet"); ok {
			s.seq = max(s.seq, n+1)
			if !have[n] {
				os.Remove(p)
			}
			continue
		}
		n, ok := partNumber(name, ".parquet")
		if !ok {
			continue
		}
		s.seq = max(s.seq, n+1)
		rows, err := trace.ReadOf[trace.Result](p)
		if err != nil {
			return 0, err
		}
		for _, r := range rows {
			s.remember(r)
		}
	}
	return len(s.done), nil
}

// partNumber reads NNNNNN from NNNNNN+suffix.
func partNumber(name, suffix string) (int, bool) {
	base, ok := strings.CutSuffix(name, suffix)
	if !ok || strings.Contains(base, ".") {
		return 0, false
	}
	n, err := strconv.Atoi(base)
	return n, err == nil && n >= 0
}

func (s *Store) remember(r trace.Result) {
	if _, ok := s.done[resultKey(r)]; ok {
		return
	}
	s.done[resultKey(r)] = r
	if s.run == "" {
		s.run = r.Run
	}
}

// Dir is the directory of parts.
func (s *Store) Dir() string { return s.dir }

// Resumed is the number of runs finished before the Store was opened.
func (s *Store) Resumed() int { return s.old }

// Finished is the number of finished runs, flushed or not.
func (s *Store) Finished() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.done)
}

// Run is the Run column of the runs finished before, or "" for none: a
// resumed evaluation keeps its first name.
func (s *Store) Run() string { return s.run }

// Done returns the result of a finished job.
func (s *Store) Done(j Job) (trace.Result, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.done[j.key()]
	return r, ok
}

// Add records a finished run and flushes the runs waiting when the
// oldest has waited FlushEvery.
func (s *Store) Add(o Outcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remember(o.Result)
	s.rows = append(s.rows, o.Result)
	s.steps = append(s.steps, o.Steps...)
	if time.Since(s.last) < s.cfg.FlushEvery {
		return nil
	}
	return s.flush()
}

// Flush writes the runs waiting in memory as a part.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flush()
}

func (s *Store) flush() error { return s.flushTo(s.dir) }

// flushTo writes the runs waiting in memory as a part in dir.
func (s *Store) flushTo(dir string) error {
	s.last = time.Now()
	if len(s.rows) == 0 {
		return nil
	}
	base := filepath.Join(dir, fmt.Sprintf("%06d", s.seq))
	if s.cfg.Trace != "" {
		if err := trace.WriteFile(base+".steps.parquet", s.steps); err != nil {
			return err
		}
	}
	if err := trace.WriteFile(base+".parquet", s.rows); err != nil {
		return err
	}
	s.seq++
	s.rows, s.steps = s.rows[:0], s.steps[:0]
	return nil
}

// Finish writes Out and Trace with the runs of jobs, in their order, and
// removes the directory of parts. Every job must have finished.
func (s *Store) Finish(jobs []Job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.flush(); err != nil {
		return err
	}
	if s.cfg.Out != "" {
		rows := make([]trace.Result, len(jobs))
		for i, j := range jobs {
			r, ok := s.done[j.key()]
			if !ok {
				return fmt.Errorf("eval: Finish: %s %s seed %d has not run", j.Instance, j.Policy, j.Seed)
			}
			rows[i] = r
		}
		b, _ := json.Marshal(s.cfg.Settings)
		if err := trace.WriteFileMeta(s.cfg.Out, rows, map[string]string{settingsKey: string(b)}); err != nil {
			return err
		}
	}
	if s.cfg.Trace != "" {
		if err := s.mergeSteps(jobs); err != nil {
			return err
		}
	}
	// The parts go in one rename, so a kill while they are deleted leaves
	// the finished files and no half-emptied parts directory to resume.
	trash := s.dir + ".removing"
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if err := os.Rename(s.dir, trash); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return nil
}

// mergeSteps writes Trace from the steps parts, runs in job order.
func (s *Store) mergeSteps(jobs []Job) error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	byRun := map[stepKey][]trace.Step{}
	for _, e := range entries {
		if _, ok := partNumber(e.Name(), ".steps.parquet"); !ok {
			continue
		}
		rows, err := trace.Read(filepath.Join(s.dir, e.Name()))
		if err != nil {
			return err
		}
		for _, r := range rows {
			k := stepKeyOf(r)
			byRun[k] = append(byRun[k], r)
		}
	}
	var all []trace.Step
	for _, j := range jobs {
		steps := byRun[j.stepKey()]
		slices.SortStableFunc(steps, func(a, b trace.Step) int { return int(a.Step - b.Step) })
		all = append(all, steps...)
	}
	return trace.WriteFile(s.cfg.Trace, all)
}
