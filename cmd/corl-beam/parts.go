package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/cliexit"
	"github.com/corl-go/corl/internal/evalcli"
	"github.com/corl-go/corl/trace"
)

// The parts directory holds each finished run under a name fixed by its
// job index: job-NNNNNN.parquet (its trace.Result), job-NNNNNN.steps.parquet
// (its trace.Steps, written first) and, for a failed run,
// job-NNNNNN.error.txt (the error). The directory is local or a URL of a
// remote filesystem (files.go); every file appears whole or not at all. A
// retried element rewrites the same names, so retries never duplicate
// rows; a run counts as finished once its result part is there.

func partName(dir string, i int64, suffix string) string {
	return joinPath(dir, fmt.Sprintf("job-%06d%s", i, suffix))
}

// writePart writes a run's parts; runErr, if not nil, is why it failed.
func writePart(ctx context.Context, dir string, i int64, o eval.Outcome, runErr error) error {
	if runErr != nil {
		if err := writeFile(ctx, partName(dir, i, ".error.txt"), []byte(runErr.Error()+"\n")); err != nil {
			return err
		}
	}
	if len(o.Steps) > 0 {
		if err := writeRows(ctx, partName(dir, i, ".steps.parquet"), o.Steps); err != nil {
			return err
		}
	}
	return writeRows(ctx, partName(dir, i, ".parquet"), []trace.Result{o.Result})
}

// partsMeta is the parts directory's meta.json: what its runs were made
// with, so that a resume with other settings or other jobs is refused.
type partsMeta struct {
	Run      string            `json:"run"`
	Jobs     string            `json:"jobs"` // SHA-256 of the job list
	Settings map[string]string `json:"settings"`
	// Before: what the settings added later were for runs recorded
	// without them (eval.StoreConfig.Before); not written.
	Before map[string]string `json:"-"`
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
func openParts(ctx context.Context, dir string, resume bool, meta partsMeta) (string, error) {
	path := joinPath(dir, metaFile)
	found, err := exists(ctx, path)
	if err != nil {
		return "", cliexit.InputErr(err)
	}
	switch {
	case found && !resume:
		return "", cliexit.Usagef("%s holds the finished runs of an evaluation that did not finish: continue it with --resume, or remove the directory to start over", dir)
	case found:
		b, err := readFile(ctx, path)
		if err != nil {
			return "", cliexit.InputErr(err)
		}
		var was partsMeta
		if err := json.Unmarshal(b, &was); err != nil {
			return "", cliexit.InputErr(fmt.Errorf("%s: %w", path, err))
		}
		if was.Jobs != meta.Jobs {
			return "", cliexit.Usagef("--resume: the finished runs in %s are of other instances, policies or seeds", dir)
		}
		var changed *eval.SettingsError
		if err := eval.CompareSettings(dir, was.Settings, meta.Settings, meta.Before); errors.As(err, &changed) {
			return "", evalcli.SettingsUsage("corl-beam", changed)
		} else if err != nil {
			return "", cliexit.InputErr(err)
		}
		return was.Run, nil
	}
	b, _ := json.MarshalIndent(meta, "", "  ")
	if err := writeFile(ctx, path, append(b, '\n')); err != nil {
		return "", cliexit.FailedErr(err)
	}
	return meta.Run, nil
}

// partFiles lists the part files in dir, in one listing of the
// filesystem.
func partFiles(ctx context.Context, dir string) (map[string]bool, error) {
	names, err := listFiles(ctx, joinPath(dir, "job-*"))
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(names))
	for _, n := range names {
		have[n] = true
	}
	return have, nil
}

// missing lists the elements whose result part is not in dir.
func missing(ctx context.Context, dir string, elems []runElem) ([]runElem, error) {
	have, err := partFiles(ctx, dir)
	if err != nil {
		return nil, err
	}
	var out []runElem
	for _, e := range elems {
		if !have[partName(dir, e.Index, ".parquet")] {
			out = append(out, e)
		}
	}
	return out, nil
}

// failure is a run that ended in an error row.
type failure struct {
	Instance, Policy, Err string
}

// readParts reads every element's parts, in job order.
func readParts(ctx context.Context, dir string, elems []runElem, steps bool) ([]trace.Result, []trace.Step, []failure, error) {
	have, err := partFiles(ctx, dir)
	if err != nil {
		return nil, nil, nil, err
	}
	results := make([]trace.Result, len(elems))
	var all []trace.Step
	var failed []failure
	for i, e := range elems {
		name := partName(dir, e.Index, ".parquet")
		rows, err := readRows[trace.Result](ctx, name)
		if err != nil {
			return nil, nil, nil, err
		}
		if len(rows) != 1 {
			return nil, nil, nil, fmt.Errorf("%s: %d rows, want 1", name, len(rows))
		}
		results[i] = rows[0]
		if rows[0].Status == statusError {
			var msg []byte
			if errName := partName(dir, e.Index, ".error.txt"); have[errName] {
				msg, _ = readFile(ctx, errName)
			}
			failed = append(failed, failure{e.Instance, e.Policy, strings.TrimSpace(string(msg))})
		}
		if stepsName := partName(dir, e.Index, ".steps.parquet"); steps && have[stepsName] {
			s, err := readRows[trace.Step](ctx, stepsName)
			if err != nil {
				return nil, nil, nil, err
			}
			all = append(all, s...)
		}
	}
	return results, all, failed, nil
}

// removeParts removes the parts directory. A local one goes in one
// rename, so that a kill while its files are deleted leaves no
// half-emptied directory to resume. On an object store the parts go first
// and meta.json last: a kill in between leaves a directory that a resume
// completes by running the removed runs again.
func removeParts(ctx context.Context, dir string) error {
	if !isURL(dir) {
		trash := dir + ".removing"
		if err := os.RemoveAll(trash); err != nil {
			return err
		}
		if err := os.Rename(dir, trash); err != nil {
			return err
		}
		return os.RemoveAll(trash)
	}
	names, err := listFiles(ctx, joinPath(dir, "*"))
	if err != nil {
		return err
	}
	meta := joinPath(dir, metaFile)
	for _, n := range append(slices.DeleteFunc(names, func(n string) bool { return n == meta }), meta) {
		if err := removeFile(ctx, n); err != nil {
			return err
		}
	}
	return nil
}
