package revibranch

import (
	"bufio"
	"compress/gzip"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/corl-go/corl/envs/milp"
)

// ErrEpisodeFile marks an unreadable or malformed episode file.
var ErrEpisodeFile = errors.New("revibranch: bad episode file")

// episodeFile is an episode on disk: the replay's content, kept so that a
// resumed run refills its buffer. Gob, gzip-compressed; the feature
// counts guard against files from a build that extracts others.
type episodeFile struct {
	ColFeatures, RowFeatures int
	Episode                  Episode
}

// EpisodePath is episode k's file in a run's episodes directory.
func EpisodePath(dir string, k int) string {
	return filepath.Join(dir, fmt.Sprintf("episode-%07d.gob.gz", k))
}

// WriteEpisode writes ep to path atomically.
func WriteEpisode(path string, ep *Episode) error {
	return writeGzip(path, func(w *bufio.Writer) error {
		if err := gob.NewEncoder(w).Encode(episodeFile{milp.NumColFeatures, milp.NumRowFeatures, *ep}); err != nil {
			return fmt.Errorf("revibranch: WriteEpisode %s: %w", path, err)
		}
		return nil
	})
}

// ReadEpisode reads an episode file; a malformed one is an error wrapping
// ErrEpisodeFile that names the file.
func ReadEpisode(path string) (*Episode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %s: %s", ErrEpisodeFile, path, fmt.Sprintf(format, args...))
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, bad("%v", err)
	}
	var ef episodeFile
	if err := gob.NewDecoder(zr).Decode(&ef); err != nil {
		return nil, bad("%v", err)
	}
	// Read to the end, so gzip checks its checksum and length.
	if n, err := io.Copy(io.Discard, zr); err != nil || n > 0 {
		return nil, bad("damaged or trailing data after the episode (%v)", err)
	}
	if ef.ColFeatures != milp.NumColFeatures || ef.RowFeatures != milp.NumRowFeatures {
		return nil, bad("%d column and %d row features, this build extracts %d and %d", ef.ColFeatures, ef.RowFeatures, milp.NumColFeatures, milp.NumRowFeatures)
	}
	ep := &ef.Episode
	g := ep.Graph
	if g == nil {
		return nil, bad("no graph")
	}
	if len(g.EdgeCol) != len(g.EdgeRow) || len(g.EdgeValue) != len(g.EdgeRow) {
		return nil, bad("edge lists of unequal lengths")
	}
	for i := range g.EdgeRow {
		if g.EdgeRow[i] < 0 || int(g.EdgeRow[i]) >= g.NumRows || g.EdgeCol[i] < 0 || int(g.EdgeCol[i]) >= g.NumCols {
			return nil, bad("edge %d outside the %dx%d graph", i, g.NumRows, g.NumCols)
		}
	}
	for i := range ep.Steps {
		s := &ep.Steps[i]
		if len(s.ColFeat) != g.NumCols*milp.NumColFeatures || len(s.RowFeat) != g.NumRows*milp.NumRowFeatures {
			return nil, bad("step %d does not fit its graph", i)
		}
		for _, c := range s.Candidates {
			if c < 0 || int(c) >= g.NumCols {
				return nil, bad("step %d: candidate column %d outside 0..%d", i, c, g.NumCols-1)
			}
		}
	}
	if _, err := Paths(ep); err != nil {
		return nil, bad("%v", err)
	}
	return ep, nil
}
