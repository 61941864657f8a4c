// Package progress reports how far long work (an epoch, a batch
// evaluation, self-play) has got.
//
// A Bar reports one phase: a count of done units out of a total (or of
// an unknown total), the rate since the phase began and, with a total,
// the estimated time left. Where it writes decides how it looks:
//
//   - a terminal (an *os.File that is a TTY) gets a bar redrawn in place,
//     drawn by github.com/schollz/progressbar/v3, with the phase name and
//     the text of Describe at the line's end, so the bar itself never
//     moves; Finish replaces it with the final plain line;
//   - anything else (a log file, a pipe, a bytes.Buffer) gets a plain line
//     at most every Every, and one at Finish;
//   - io.Discard gets nothing, at the cost of one comparison per call.
//
// Plain lines look like this (the last one written by Finish):
//
//	train: 120/1000 (12.0%), 3.4/s, ETA 4m18s, loss 0.53
//	train: 1000/1000 (100.0%), 3.4/s, done in 4m54s, loss 0.41
//
// The rate counts from the phase's start, except that a first call of
// Set (a resumed run announcing where it resumes) is its baseline, so a
// resume does not show as a burst of speed. Every method of a Bar is
// safe for concurrent use, and a nil *Bar does nothing.
package progress
