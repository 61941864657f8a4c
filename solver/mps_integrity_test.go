package solver_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corl-go/corl/internal/sharedtest"
	"github.com/corl-go/corl/solver"
)

// parseErr reads src and returns its *ParseError, failing t when the input
// was accepted or the error has another type.
func parseErr(t *testing.T, src []byte, name string) *solver.ParseError {
	t.Helper()
	m, err := solver.ReadMPS(bytes.NewReader(src), name, solver.MPSAuto)
	if err == nil {
		t.Fatalf("%s accepted as a %dx%d model", name, m.NumRows(), m.NumCols())
	}
	var pe *solver.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *ParseError", err)
	}
	if pe.File != name || !strings.HasPrefix(err.Error(), name+":") {
		t.Fatalf("error %q does not name the file %s", err, name)
	}
	return pe
}

// Every prefix of a valid file cut before its ENDATA is refused; one cut at
// a line end says the file is truncated at its last line.
func TestMPSEveryCutIsRefused(t *testing.T) {
	end := strings.Index(allBounds, "ENDATA") + len("ENDATA")
	for n := 0; n < end; n++ {
		src := allBounds[:n]
		pe := parseErr(t, []byte(src), "cut.mps")
		if errors.Is(pe, solver.ErrGzip) {
			t.Fatalf("cut at byte %d: plain text reported as gzip: %v", n, pe)
		}
		if n > 0 && src[n-1] == '\n' && strings.Contains(src, "ROWS\n") {
			lines := strings.Count(src, "\n")
			if !errors.Is(pe, solver.ErrTruncated) || pe.Line != lines {
				t.Errorf("cut after line %d: got %v (line %d), want ErrTruncated on line %d", lines, pe, pe.Line, lines)
			}
		}
	}
}

func TestMPSMissingENDATA(t *testing.T) {
	src := strings.TrimSuffix(allBounds, "ENDATA\n")
	pe := parseErr(t, []byte(src), "noend.mps")
	if !errors.Is(pe, solver.ErrTruncated) || pe.Line != strings.Count(src, "\n") || !strings.Contains(pe.Error(), "BOUNDS section") {
		t.Errorf("got %v (line %d)", pe, pe.Line)
	}
}

func TestMPSSections(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		line      int
		want      string
	}{
		{"no columns", "NAME\nROWS\n N obj\nENDATA\n", 4, "without a COLUMNS section"},
		{"rhs before columns", "NAME\nROWS\n N obj\n L c\nRHS\n R c 1\nCOLUMNS\n x c 1\nENDATA\n", 5, "RHS section before COLUMNS"},
		{"bounds before columns", "ROWS\n N obj\nBOUNDS\n UP B x 1\nENDATA\n", 3, "BOUNDS section before COLUMNS"},
		{"rows twice", "NAME\nROWS\n N obj\nCOLUMNS\n x obj 1\nROWS\n L c\nENDATA\n", 6, "already began on line 2"},
		{"name after rows", "ROWS\n N obj\nNAME x\nCOLUMNS\n x obj 1\nENDATA\n", 3, "NAME section after ROWS"},
		{"data after ENDATA", "NAME\nROWS\n N obj\nCOLUMNS\n x obj 1\nENDATA\n\n* fine\n x obj 2\n", 9, "data after ENDATA (line 6)"},
		{"second model after ENDATA", "NAME a\nROWS\n N obj\nCOLUMNS\n x obj 1\nENDATA\nNAME b\n", 7, "data after ENDATA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pe := parseErr(t, []byte(tc.src), "sec.mps")
			if !errors.Is(pe, solver.ErrSyntax) || pe.Line != tc.line || !strings.Contains(pe.Error(), tc.want) {
				t.Errorf("got %q (line %d), want line %d saying %q", pe, pe.Line, tc.line, tc.want)
			}
		})
	}
	// What may follow ENDATA, and what may be left out.
	for _, src := range []string{
		"NAME\nROWS\n N obj\nCOLUMNS\n x obj 1\nENDATA\n\n   \n* comment\n",
		"ROWS\n N obj\n L c\nCOLUMNS\n x obj 1 c 1\nENDATA", // no NAME, no RHS, no final newline
		"NAME\nROWS\n N obj\nCOLUMNS\nENDATA\n",             // an empty COLUMNS section: no columns
	} {
		if _, err := solver.ReadMPS(strings.NewReader(src), "ok.mps", solver.MPSAuto); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}

func gzipped(t *testing.T, src string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(src)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A gzipped file cut anywhere, or with a wrong checksum, is a broken gzip
// stream, never a syntax error on some line of what it held.
func TestMPSBrokenGzip(t *testing.T) {
	z := gzipped(t, allBounds)
	for n := 2; n < len(z); n++ {
		pe := parseErr(t, z[:n], "cut.mps.gz")
		if !errors.Is(pe, solver.ErrGzip) || !strings.Contains(pe.Error(), "broken gzip stream") {
			t.Fatalf("cut at byte %d of %d: got %v, want a broken gzip stream", n, len(z), pe)
		}
	}
	bad := bytes.Clone(z)
	bad[len(bad)-5] ^= 0xff // the CRC-32 of the trailer
	if pe := parseErr(t, bad, "crc.mps.gz"); !errors.Is(pe, solver.ErrGzip) {
		t.Errorf("checksum mismatch: got %v", pe)
	}
	trailing := append(bytes.Clone(z), "junk"...)
	if pe := parseErr(t, trailing, "junk.mps.gz"); !errors.Is(pe, solver.ErrGzip) {
		t.Errorf("data after the gzip stream: got %v", pe)
	}
	if _, err := solver.ReadMPS(bytes.NewReader(z), "whole.mps.gz", solver.MPSAuto); err != nil {
		t.Errorf("the whole stream: %v", err)
	}
}

// The case: a real instance cut after 300 lines, plain and gzipped,
// is refused by ReadMPSFile with the file and line named.
func TestMPSFileCutAfter300Lines(t *testing.T) {
	var src []byte
	for _, in := range sharedtest.Instances(t) {
		if in.Name == "scrs8.mps" {
			var err error
			if src, err = os.ReadFile(in.File); err != nil {
				t.Fatal(err)
			}
		}
	}
	if src == nil {
		t.Fatal("scrs8.mps not among the shared instances")
	}
	lines := strings.SplitAfter(string(src), "\n")
	cut := strings.Join(lines[:300], "")
	dir := t.TempDir()
	plain := filepath.Join(dir, "scrs8-cut.mps")
	gz := filepath.Join(dir, "scrs8-cut.mps.gz")
	whole := gzipped(t, string(src))
	if err := os.WriteFile(plain, []byte(cut), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gz, whole[:len(whole)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := solver.ReadMPSFile(plain)
	var pe *solver.ParseError
	if !errors.As(err, &pe) || !errors.Is(err, solver.ErrTruncated) || pe.File != plain || pe.Line != 300 {
		t.Errorf("plain cut: %v", err)
	}
	if _, err := solver.ReadMPSFile(gz); !errors.Is(err, solver.ErrGzip) || !strings.HasPrefix(err.Error(), gz+":") {
		t.Errorf("gzip cut: %v", err)
	}
}
