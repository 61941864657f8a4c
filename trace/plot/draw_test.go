package plot

import (
	"bytes"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/corl-go/corl/trace"
)

// checkFiles checks that dir holds exactly the files paths (no temporary
// files left), each a valid image of its format.
func checkFiles(t *testing.T, dir string, paths []string, names ...string) {
	t.Helper()
	var want []string
	for _, n := range names {
		want = append(want, filepath.Join(dir, n))
	}
	if !slices.Equal(paths, want) {
		t.Fatalf("wrote %q, want %q", paths, want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(names) {
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		t.Errorf("%s holds %q, want only %q", dir, got, names)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(p) {
		case ".png":
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Errorf("%s: %v", p, err)
			} else if r := img.Bounds(); r.Dx() != 1008 || r.Dy() != 648 {
				t.Errorf("%s: %v pixels, want 1008 x 648", p, r)
			}
		case ".svg":
			s := strings.TrimSpace(string(b))
			if !strings.HasPrefix(s, "<?xml") && !strings.HasPrefix(s, "<svg") || !strings.HasSuffix(s, "</svg>") {
				t.Errorf("%s is not an SVG document: %.80q", p, s)
			}
		}
	}
}

func TestTrainingCurvesFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plots") // created
	paths, err := TrainingCurves(syntheticTrain(12), dir, "png")
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, paths, "loss.png", "accuracy.png", "return.png")

	// Only the loss where accuracy and return are null; SVG; ".SVG" is svg.
	rows := []trace.Train{tr("r", "train", 0, 1, 2), tr("r", "train", 1, 2, 1)}
	dir = t.TempDir()
	paths, err = TrainingCurves(rows, dir, ".SVG")
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, paths, "loss.svg")

	// Rewriting replaces the files.
	if paths, err = TrainingCurves(rows, dir, "svg"); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, paths, "loss.svg")
}

func TestEvalPlotsFiles(t *testing.T) {
	for _, ext := range Formats {
		dir := t.TempDir()
		paths, err := EvalPlots(syntheticResults(20), dir, ext)
		if err != nil {
			t.Fatal(err)
		}
		checkFiles(t, dir, paths, "solved-over-time."+ext, "profile-nodes."+ext, "profile-time."+ext)
	}
}

func TestEvalPlotsEdgeCases(t *testing.T) {
	for name, rows := range map[string][]trace.Result{
		"nothing solved":  {res("P", "a", "time_limit", 10, 60), res("Q", "a", "error", 0, 0)},
		"zero times":      {res("P", "a", "optimal", 0, 0), res("Q", "a", "optimal", 0, 0)},
		"one policy":      {res("P", "a", "optimal", 3, 0.2)},
		"no time at all":  {res("P", "a", "error", 0, 0)},
		"NaN and Inf":     {res("P", "a", "optimal", 3, math.NaN()), res("Q", "a", "optimal", 3, math.Inf(1))},
		"solved at limit": {res("P", "a", "optimal", 1, 5), res("P", "b", "time_limit", 1, 5)},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			paths, err := EvalPlots(rows, dir, "png")
			if err != nil {
				t.Fatal(err)
			}
			checkFiles(t, dir, paths, "solved-over-time.png", "profile-nodes.png", "profile-time.png")
		})
	}
}

func TestPlotErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := EvalPlots(tiny, dir, "pdf"); !errors.Is(err, ErrFormat) {
		t.Errorf("pdf: %v", err)
	}
	if _, err := TrainingCurves(nil, dir, "png"); !errors.Is(err, ErrNoRows) {
		t.Errorf("no rows: %v", err)
	}
	nan := []trace.Train{tr("r", "train", 0, 1, math.NaN())}
	if _, err := TrainingCurves(nan, dir, "png"); !errors.Is(err, ErrNoRows) {
		t.Errorf("no values: %v", err)
	}
	// A file where the directory should be: the error names the path.
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	_, err := EvalPlots(tiny, file, "png")
	if err == nil || !strings.Contains(err.Error(), filepath.Join(file, "solved-over-time.png")) && !strings.Contains(err.Error(), file) {
		t.Errorf("writing into a file: %v", err)
	}
}
