// Package evalcli holds the command-line flags of the MILP and
// memory-mapping evaluations and their parsing into eval configurations.
// `corl eval` and `corl-beam eval` both use it, so the two commands take
// the same flags with the same meanings and checks, and build the same
// eval.MILP and eval.Malloc for the same command line.
//
// Errors from parsing are *Error values whose Kind says whether the
// command line (Usage) or a file it names (Input) is at fault; each
// command maps the kinds to its exit codes.
package evalcli
