package trace

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/parquet-go/parquet-go"
)

// ColumnSummary describes one column of a Parquet file.
type ColumnSummary struct {
	Name     string  `json:"name"`
	Type     string  `json:"type"`
	Count    int64   `json:"count"` // non-null values
	Nulls    int64   `json:"nulls"`
	Min      float64 `json:"min"`
	Mean     float64 `json:"mean"`
	Max      float64 `json:"max"`
	Distinct int     `json:"distinct,omitempty"` // for strings (capped at 10,000)
	True     int64   `json:"true,omitempty"`     // for booleans
	numeric  bool
	sum      float64
	seen     map[string]bool
}

// Summary describes a Parquet file: any file, not only corl's traces.
type Summary struct {
	File     string          `json:"file"`
	Rows     int64           `json:"rows"`
	Episodes int             `json:"episodes"` // distinct (run, instance, episode), when those columns exist
	Columns  []ColumnSummary `json:"columns"`
}

// Summarize reads a Parquet file and computes per-column statistics.
func Summarize(path string) (_ Summary, err error) {
	defer recoverCorrupt(path, &err)
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Summary{}, err
	}
	if err := checkFrame(f, path, info.Size()); err != nil {
		return Summary{}, err
	}
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		return Summary{}, fmt.Errorf("trace: %s: not a readable Parquet file: %w", path, err)
	}
	s := Summary{File: path, Rows: pf.NumRows()}
	leaves := pf.Schema().Columns()
	cols := make([]ColumnSummary, len(leaves))
	for i, p := range leaves {
		leaf, _ := pf.Schema().Lookup(p...)
		cols[i] = ColumnSummary{Name: strings.Join(p, "."), Type: leaf.Node.Type().String(), Min: math.Inf(1), Max: math.Inf(-1)}
	}
	idx := func(name string) int {
		for i, c := range cols {
			if c.Name == name {
				return i
			}
		}
		return -1
	}
	runI, instI, epI := idx("run"), idx("instance"), idx("episode")
	episodes := map[string]bool{}
	buf := make([]parquet.Row, 256)
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				var key [3]string
				for _, v := range row {
					ci := v.Column()
					if ci < 0 || ci >= len(cols) {
						continue
					}
					c := &cols[ci]
					if v.IsNull() {
						c.Nulls++
						continue
					}
					c.Count++
					switch v.Kind() {
					case parquet.Boolean:
						if v.Boolean() {
							c.True++
						}
					case parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
						x := toFloat(v)
						c.numeric = true
						c.sum += x
						c.Min, c.Max = math.Min(c.Min, x), math.Max(c.Max, x)
					case parquet.ByteArray, parquet.FixedLenByteArray:
						if c.seen == nil {
							c.seen = map[string]bool{}
						}
						if len(c.seen) < 10000 {
							c.seen[string(v.ByteArray())] = true
						}
					}
					switch ci {
					case runI:
						key[0] = v.String()
					case instI:
						key[1] = v.String()
					case epI:
						key[2] = v.String()
					}
				}
				if epI >= 0 {
					episodes[key[0]+"\x00"+key[1]+"\x00"+key[2]] = true
				}
			}
			if err == io.EOF || n == 0 {
				break
			}
			if err != nil {
				rows.Close()
				return s, fmt.Errorf("trace: %s: %w", path, err)
			}
		}
		rows.Close()
	}
	for i := range cols {
		c := &cols[i]
		if c.numeric && c.Count > 0 {
			c.Mean = c.sum / float64(c.Count)
		} else {
			c.Min, c.Max = 0, 0
		}
		c.Distinct = len(c.seen)
	}
	s.Columns, s.Episodes = cols, len(episodes)
	return s, nil
}

func toFloat(v parquet.Value) float64 {
	switch v.Kind() {
	case parquet.Int32:
		return float64(v.Int32())
	case parquet.Int64:
		return float64(v.Int64())
	case parquet.Float:
		return float64(v.Float())
	}
	return v.Double()
}

// Print writes the summary as a table.
func (s Summary) Print(w io.Writer) {
	fmt.Fprintf(w, "%s: %d rows, %d episodes\n\n", s.File, s.Rows, s.Episodes)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "column\ttype\tcount\tnulls\tmin\tmean\tmax\tdistinct/true")
	for _, c := range s.Columns {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t", c.Name, c.Type, c.Count, c.Nulls)
		if c.numeric {
			fmt.Fprintf(tw, "%.6g\t%.6g\t%.6g\t", c.Min, c.Mean, c.Max)
		} else {
			fmt.Fprint(tw, "-\t-\t-\t")
		}
		switch {
		case c.seen != nil:
			fmt.Fprintf(tw, "%d distinct\n", c.Distinct)
		case strings.EqualFold(c.Type, "boolean"):
			fmt.Fprintf(tw, "%d true\n", c.True)
		default:
			fmt.Fprintln(tw, "-")
		}
	}
	tw.Flush()
}
