package main

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"
)

// checkTimeLimit refuses a time limit in seconds that is negative, NaN or
// infinite; 0 means no limit.
func checkTimeLimit(flag string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 0) {
		return usageErr("--%s must be a finite number of seconds, at least 0 (0: no limit), got %v", flag, v)
	}
	return nil
}

// checkOutputFiles refuses, before any work, output files whose directory
// does not exist: a mistyped path fails at once instead of after a long
// run, and never makes a stray directory tree. (Output directories, the
// --out DIR of generate, train, demo and plot, are made with their
// parents.)
func checkOutputFiles(c *cli.Context, flags ...string) error {
	for _, flag := range flags {
		path := c.String(flag)
		if path == "" {
			continue
		}
		dir := filepath.Dir(path)
		info, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return inputErr(errors.New("--" + flag + " " + path + ": directory " + dir + " does not exist"))
		case err != nil:
			return inputErr(err)
		case !info.IsDir():
			return inputErr(errors.New("--" + flag + " " + path + ": " + dir + " is not a directory"))
		}
	}
	return nil
}
