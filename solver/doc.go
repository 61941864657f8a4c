// Package solver holds corl's mixed-integer linear programming model, its MPS
// reader and writer, solve statuses and the interface an LP/MIP engine offers.
//
// # The model
//
// A Model is the problem
//
//	minimise (or maximise, by Sense)  Offset + sum_j Cost[j] x[j]
//	subject to  RowLower[i] <= sum_j A[i][j] x[j] <= RowUpper[i]   for every row i
//	            ColLower[j] <= x[j] <= ColUpper[j]                 for every column j
//	            x[j] integer where Type[j] == Integer
//
// Infinite bounds are math.Inf(-1) and math.Inf(1). A row with equal finite
// bounds is an equality, one with two different finite bounds is a ranged row.
//
// The constraint matrix A is stored by column (compressed sparse column):
// the entries of column j are Index[k], Value[k] for k in [Start[j], Start[j+1]),
// with row indices strictly increasing inside a column. Start has NumCols()+1
// entries and Start[NumCols()] == len(Index) == len(Value).
//
// # Building and validating
//
// Build a model with a Builder (rows may be added in any order, by their
// non-zeros) or fill the fields directly and call Validate, which reports
// the first inconsistent field as a *FieldError.
//
// # MPS files
//
// ReadMPS and ReadMPSFile read fixed and free MPS, plain or gzipped, with
// OBJSENSE, RANGES, every common bound type and INTORG/INTEND markers; a
// malformed file gives a *ParseError naming file and line. Only a whole file
// reads: one cut short (no ENDATA) fails with ErrTruncated, a damaged gzip
// stream with ErrGzip, and anything but comments after ENDATA with
// ErrSyntax. WriteMPS writes
// free MPS that reads back to the same model.
package solver
