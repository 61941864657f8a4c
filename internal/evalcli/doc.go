// Package evalcli holds the command-line flags of the MILP and
// memory-mapping evaluations and their parsing into eval configurations.
// `corl eval` and `corl-beam eval` both use it, so the two commands take
// the same flags with the same meanings and checks, and build the same
// eval.MILP and eval.Malloc for the same command line. The sets are read
// through an FS: OS for corl, one that also reaches Beam's remote
// filesystems for corl-beam, so that corl never links Beam.
//
// Errors from parsing are *cliexit.Error values with the exit code of
// what is at fault: the command line (cliexit.Usage) or a file it names
// (cliexit.Input).
package evalcli
