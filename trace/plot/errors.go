package plot

import "errors"

var (
	// ErrNoRows is returned for a trace without rows, or without values
	// to draw.
	ErrNoRows = errors.New("plot: no rows")
	// ErrSchema is returned for a Parquet file whose columns are not
	// those of the rows asked for.
	ErrSchema = errors.New("plot: wrong schema")
	// ErrDuplicate is returned when a policy has two rows for the same
	// instance and seed.
	ErrDuplicate = errors.New("plot: duplicate result")
	// ErrFormat is returned for an output format other than png and svg.
	ErrFormat = errors.New("plot: unknown format")

	// errParquetPanic wraps a panic of parquet-go on a corrupt file.
	errParquetPanic = errors.New("parquet-go panicked")
)
