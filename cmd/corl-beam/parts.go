package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/atomicfile"
	"github.com/corl-go/corl/internal/cliexit"
	"github.com/corl-go/corl/trace"
)

// The parts directory holds each finished run under a name fixed by its
// job index: job-NNNNNN.parquet (its trace.Result), job-NNNNNN.steps.parquet
// (its trace.Steps, written first) and, for a failed run,
// job-NNNNNN.error.txt (the error). A retried element rewrites the same
// names by atomic renames, so retries never duplicate rows; a run counts as
// finished once its result part is there.

func partName(dir string, i int64, suffix string) string {
	return filepath.Join(dir, fmt.Sprintf("job-%06d%s", i, suffix))
}

// writePart writes a run's parts; runErr, if not nil, is why it failed.
func writePart(dir string, i int64, o eval.Outcome, runErr error) error {
	if runErr != nil {
		if err := atomicfile.Write(partName(dir, i, ".error.txt"), []byte(runErr.Error()+"\n")); err != nil {
			return err
		}
	}
	if len(o.Steps) > 0 {
		if err := trace.WriteFile(partName(dir, i, ".steps.parquet"), o.Steps); err != nil {
			return err
		}
	}
	return trace.WriteFile(partName(dir, i, ".parquet"), []trace.Result{o.Result})
}

// partsMeta is the parts directory's meta.json: what its runs were made
// with, so that a resume with other settings or other jobs is refused.
type partsMeta struct {
	Run      string            `json:"run"`
	Jobs     string            `json:"jobs"` // SHA-256 of the job list
	Settings map[string]string `json:"settings"`
}

const metaFile = "meta.json"

func jobsHash(elems []runElem) string {
	h := sha256.New()
	for _, e := range elems {
		fmt.Fprintf(h, "%d\x00%s\x00%s\x00%s\x00%d\x00%d\n", e.Index, e.File, e.Instance, e.Policy, e.Seed, e.Episode)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// openParts makes the parts directory, or with resume reopens it and
// returns the run it belongs to; meta.Run is used for a new one.
func openParts(dir string, resume bool, meta partsMeta) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	switch {
	case err == nil && !resume:
		return "", cliexit.Usagef("%s holds the finished runs of an evaluation that did not finish: continue it with --resume, or remove the directory to start over", dir)
	case err == nil:
		var was partsMeta
		if err := json.Unmarshal(b, &was); err != nil {
			return "", cliexit.InputErr(fmt.Errorf("%s: %w", filepath.Join(dir, metaFile), err))
		}
		if was.Jobs != meta.Jobs {
			return "", cliexit.Usagef("--resume: the finished runs in %s are of other instances, policies or seeds", dir)
		}
		for k, v := range meta.Settings {
			if was.Settings[k] != v {
				return "", cliexit.Usagef("--resume: the finished runs in %s were made with %s %s, not %s", dir, k, was.Settings[k], v)
			}
		}
		return was.Run, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", cliexit.InputErr(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", cliexit.InputErr(err)
	}
	b, _ = json.MarshalIndent(meta, "", "  ")
	if err := atomicfile.Write(filepath.Join(dir, metaFile), append(b, '\n')); err != nil {
		return "", cliexit.FailedErr(err)
	}
	return meta.Run, nil
}

// missing lists the elements whose result part is not in dir.
func missing(dir string, elems []runElem) []runElem {
	var out []runElem
	for _, e := range elems {
		if _, err := os.Stat(partName(dir, e.Index, ".parquet")); err != nil {
			out = append(out, e)
		}
	}
	return out
}

// failure is a run that ended in an error row.
type failure struct {
	Instance, Policy, Err string
}

// readParts reads every element's parts, in job order.
func readParts(dir string, elems []runElem, steps bool) ([]trace.Result, []trace.Step, []failure, error) {
	results := make([]trace.Result, len(elems))
	var all []trace.Step
	var failed []failure
	for i, e := range elems {
		rows, err := trace.ReadOf[trace.Result](partName(dir, e.Index, ".parquet"))
		if err != nil {
			return nil, nil, nil, err
		}
		if len(rows) != 1 {
			return nil, nil, nil, fmt.Errorf("%s: %d rows, want 1", partName(dir, e.Index, ".parquet"), len(rows))
		}
		results[i] = rows[0]
		if rows[0].Status == statusError {
			msg, _ := os.ReadFile(partName(dir, e.Index, ".error.txt"))
			failed = append(failed, failure{e.Instance, e.Policy, strings.TrimSpace(string(msg))})
		}
		if !steps {
			continue
		}
		s, err := trace.Read(partName(dir, e.Index, ".steps.parquet"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil, err
		}
		all = append(all, s...)
	}
	return results, all, failed, nil
}

// removeParts removes the directory in one rename, so that a kill while
// its files are deleted leaves no half-emptied directory to resume.
func removeParts(dir string) error {
	trash := dir + ".removing"
	if err := os.RemoveAll(trash); err != nil {
		return err
	}
	if err := os.Rename(dir, trash); err != nil {
		return err
	}
	return os.RemoveAll(trash)
}
