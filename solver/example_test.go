package solver_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/corl-go/corl/solver"
)

func ExampleReadMPS() {
	src := `NAME          tiny
ROWS
 N  cost
 G  demand
COLUMNS
    MARKER    'MARKER'  'INTORG'
    x         cost      3            demand    2
    MARKER    'MARKER'  'INTEND'
    y         cost      1            demand    1
RHS
    rhs       demand    5
BOUNDS
 UP bnd       x         10
ENDATA
`
	m, err := solver.ReadMPS(strings.NewReader(src), "tiny.mps", solver.MPSAuto)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.NumRows(), "row,", m.NumCols(), "columns,", m.NumIntegers(), "integer")
	fmt.Println("demand:", m.RowLower[0], "<= 2x + y")
	solver.WriteMPS(os.Stdout, m)
	// Output:
	// 1 row, 2 columns, 1 integer
	// demand: 5 <= 2x + y
	// NAME tiny
	// ROWS
	//  N  cost
	//  G  demand
	// COLUMNS
	//     MARKER  'MARKER'  'INTORG'
	//     x  cost  3
	//     x  demand  2
	//     MARKER  'MARKER'  'INTEND'
	//     y  cost  1
	//     y  demand  1
	// RHS
	//     RHS  demand  5
	// BOUNDS
	//  LO BND  x  0
	//  UP BND  x  10
	// ENDATA
}

func ExampleParseError() {
	_, err := solver.ReadMPS(strings.NewReader("NAME\nROWS\n N obj\nCOLUMNS\n x obj one\n"), "bad.mps", solver.MPSFree)
	fmt.Println(err)
	// Output:
	// bad.mps:5: "one": solver: syntax error: not a number
}
