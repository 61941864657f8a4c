package solver

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// MPSFormat selects how data lines of an MPS file are split into fields.
type MPSFormat int

const (
	// MPSAuto splits on white space and falls back to fixed columns for a
	// line that does not parse that way (names with spaces). The zero value.
	MPSAuto MPSFormat = iota
	// MPSFree splits every line on white space.
	MPSFree
	// MPSFixed reads every data line by the fixed MPS columns 2-3, 5-12,
	// 15-22, 25-36, 40-47 and 50-61.
	MPSFixed
)

// mpsInfinity is the magnitude from which an MPS number means infinity.
const mpsInfinity = 1e30

// ReadMPSFile reads an MPS file, plain or gzipped (detected by content, so
// the name need not end in .gz).
func ReadMPSFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadMPS(f, path, MPSAuto)
}

// ReadMPS reads an MPS model from r; name is used in error messages.
// Gzipped input is recognised by its magic number.
//
// The input must be whole: ROWS and COLUMNS sections (NAME and RHS are
// optional), sections in their order (ROWS before COLUMNS, COLUMNS before
// RHS, RANGES and BOUNDS, none twice), an ENDATA line, and after it nothing
// but blank or comment lines. A file cut short fails with ErrTruncated, a
// damaged or cut gzip stream with ErrGzip, so a partial file never reads as
// a smaller model.
func ReadMPS(r io.Reader, name string, format MPSFormat) (*Model, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	gzipped := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &ParseError{File: name, Line: 0, Err: fmt.Errorf("%w: bad header: %v", ErrGzip, err)}
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<16)
		gzipped = true
	}
	p := mpsParser{
		file:    name,
		format:  format,
		gzipped: gzipped,
		rowIdx:  map[string]int{},
		colIdx:  map[string]int{},
		seen:    map[string]int{},
	}
	if err := p.parse(br); err != nil {
		return nil, err
	}
	return p.model()
}

type mpsRow struct {
	name  string
	kind  byte // 'E', 'L', 'G'
	rhs   float64
	rng   float64
	isRng bool
}

type mpsCol struct {
	name           string
	cost           float64
	integer        bool
	marked         bool // integer from INTORG markers: default bounds [0, 1]
	lower, upper   float64
	hasLo, hasUp   bool
	touchedByBound bool
	rows           []int
	vals           []float64
}

type mpsParser struct {
	file    string
	format  MPSFormat
	gzipped bool
	line    int
	section string
	seen    map[string]int // section header -> the line it appeared on

	name     string
	sense    Sense
	objName  string
	offset   float64
	freeRows map[string]bool // N rows other than the objective: dropped
	rows     []mpsRow
	rowIdx   map[string]int
	cols     []*mpsCol
	colIdx   map[string]int
	intMark  bool
	ended    bool
	sawRows  bool
}

func (p *mpsParser) errf(field string, base error, format string, args ...any) error {
	return &ParseError{File: p.file, Line: p.line, Field: field, Err: fmt.Errorf("%w: "+format, append([]any{base}, args...)...)}
}

func (p *mpsParser) parse(br *bufio.Reader) error {
	for {
		raw, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			// A read error comes before the partial line it cut, so a broken
			// stream is never reported as a syntax error in that line.
			if p.gzipped {
				return &ParseError{File: p.file, Line: p.line + 1, Err: fmt.Errorf("%w: %v", ErrGzip, err)}
			}
			return &ParseError{File: p.file, Line: p.line + 1, Err: err}
		}
		if len(raw) > 0 {
			p.line++
			line := strings.TrimRight(raw, "\r\n")
			if p.ended {
				// Read on to the end: trailing data is an error, and a gzip
				// stream's checksum is only checked at its end.
				if t := strings.TrimSpace(line); t != "" && t[0] != '*' {
					return p.errf(firstField(t), ErrSyntax, "data after ENDATA (line %d)", p.seen["ENDATA"])
				}
			} else if perr := p.parseLine(line); perr != nil {
				return perr
			}
		}
		if err == io.EOF {
			break
		}
	}
	if !p.sawRows {
		return &ParseError{File: p.file, Line: max(p.line, 1), Err: fmt.Errorf("%w: not an MPS file: no ROWS section", ErrSyntax)}
	}
	if !p.ended {
		return &ParseError{File: p.file, Line: max(p.line, 1), Err: fmt.Errorf("%w: the file ends in the %s section, without ENDATA", ErrTruncated, p.section)}
	}
	return nil
}

func (p *mpsParser) parseLine(line string) error {
	if strings.ContainsRune(line, 0) || !isText(line) {
		return p.errf("", ErrSyntax, "binary data: not an MPS file")
	}
	trimmed := strings.TrimSpace(line)
	if trimmed == "" || line[0] == '*' {
		return nil
	}
	if line[0] != ' ' && line[0] != '\t' {
		return p.header(line)
	}
	if p.section == "" {
		return p.errf(firstField(trimmed), ErrSyntax, "data line before any section header")
	}
	fields := strings.Fields(line)
	if p.format == MPSFixed {
		fields = fixedFields(line)
	}
	err := p.data(fields)
	if err != nil && p.format == MPSAuto {
		if fixed := fixedFields(line); len(fixed) != len(fields) || !equalFields(fixed, fields) {
			if p.data(fixed) == nil {
				return nil
			}
		}
	}
	return err
}

func (p *mpsParser) header(line string) error {
	fields := strings.Fields(line)
	sec := strings.ToUpper(fields[0])
	if !p.sawRows && sec != "NAME" && sec != "ROWS" && sec != "OBJSENSE" && sec != "OBJSENS" && sec != "OBJNAME" {
		return p.errf(fields[0], ErrSyntax, "expected NAME or ROWS section header; not an MPS file")
	}
	if at, twice := p.seen[sec]; twice {
		return p.errf(fields[0], ErrSyntax, "section %s already began on line %d", sec, at)
	}
	switch sec {
	case "NAME":
		if p.sawRows {
			return p.errf(fields[0], ErrSyntax, "NAME section after ROWS")
		}
	case "RHS", "RANGES", "BOUNDS":
		if _, ok := p.seen["COLUMNS"]; !ok {
			return p.errf(fields[0], ErrSyntax, "%s section before COLUMNS", sec)
		}
	case "ENDATA":
		if _, ok := p.seen["COLUMNS"]; !ok {
			return p.errf(fields[0], ErrSyntax, "ENDATA without a COLUMNS section")
		}
	}
	p.seen[sec] = p.line
	switch sec {
	case "NAME":
		if len(fields) > 1 {
			p.name = strings.TrimSpace(line[len(fields[0]):])
		}
	case "OBJSENSE", "OBJSENS":
		if len(fields) > 1 {
			return p.setSense(fields[1])
		}
	case "OBJNAME":
		if len(fields) > 1 {
			p.objName = fields[1]
		}
	case "ROWS":
		p.sawRows = true
	case "COLUMNS", "RHS", "RANGES", "BOUNDS":
	case "ENDATA":
		p.ended = true
	case "SOS", "QUADOBJ", "QMATRIX", "QSECTION", "QCMATRIX", "CSECTION", "INDICATORS", "LAZYCONS", "USERCUTS":
		return p.errf(fields[0], ErrUnsupported, "section %s", sec)
	default:
		return p.errf(fields[0], ErrSyntax, "unknown section header")
	}
	p.section = sec
	return nil
}

func (p *mpsParser) setSense(s string) error {
	switch strings.ToUpper(s) {
	case "MAX", "MAXIMIZE", "MAXIMISE":
		p.sense = Maximize
	case "MIN", "MINIMIZE", "MINIMISE":
		p.sense = Minimize
	default:
		return p.errf(s, ErrSyntax, "objective sense must be MIN or MAX")
	}
	return nil
}

func (p *mpsParser) data(f []string) error {
	if len(f) == 0 {
		return p.errf("", ErrSyntax, "empty data line")
	}
	switch p.section {
	case "OBJSENSE", "OBJSENS":
		return p.setSense(f[0])
	case "OBJNAME":
		p.objName = f[0]
		return nil
	case "NAME":
		return p.errf(f[0], ErrSyntax, "data line in NAME section")
	case "ROWS":
		return p.rowLine(f)
	case "COLUMNS":
		return p.columnLine(f)
	case "RHS":
		return p.pairs(f, p.setRHS)
	case "RANGES":
		return p.pairs(f, p.setRange)
	case "BOUNDS":
		return p.boundLine(f)
	}
	return nil
}

func (p *mpsParser) rowLine(f []string) error {
	if len(f) != 2 {
		return p.errf(strings.Join(f, " "), ErrSyntax, "ROWS line needs a type and a name")
	}
	kind, name := strings.ToUpper(f[0]), f[1]
	if _, dup := p.rowIdx[name]; dup || name == p.objName || p.freeRows[name] {
		return p.errf(name, ErrSyntax, "row declared twice")
	}
	switch kind {
	case "N":
		if p.objName == "" {
			p.objName = name
		} else if name != p.objName {
			if p.freeRows == nil {
				p.freeRows = map[string]bool{}
			}
			p.freeRows[name] = true
		}
		return nil
	case "E", "L", "G":
		p.rowIdx[name] = len(p.rows)
		p.rows = append(p.rows, mpsRow{name: name, kind: kind[0]})
		return nil
	}
	return p.errf(f[0], ErrSyntax, "row type must be N, E, L or G")
}

func (p *mpsParser) columnLine(f []string) error {
	if len(f) >= 3 && strings.Trim(f[1], "'\"") == "MARKER" {
		switch strings.Trim(f[len(f)-1], "'\"") {
		case "INTORG":
			p.intMark = true
		case "INTEND":
			p.intMark = false
		default:
			return p.errf(f[len(f)-1], ErrSyntax, "MARKER must be INTORG or INTEND")
		}
		return nil
	}
	if len(f) != 3 && len(f) != 5 {
		return p.errf(strings.Join(f, " "), ErrSyntax, "COLUMNS line needs a column and one or two row-value pairs")
	}
	name := f[0]
	j, ok := p.colIdx[name]
	if !ok {
		j = len(p.cols)
		p.colIdx[name] = j
		p.cols = append(p.cols, &mpsCol{name: name, integer: p.intMark, marked: p.intMark, upper: Inf})
	}
	c := p.cols[j]
	for k := 1; k+1 < len(f); k += 2 {
		v, err := p.number(f[k+1])
		if err != nil {
			return err
		}
		row := f[k]
		if row == p.objName {
			c.cost += v
			continue
		}
		if p.freeRows[row] {
			continue
		}
		i, ok := p.rowIdx[row]
		if !ok {
			return p.errf(row, ErrUnknownName, "row not declared in ROWS")
		}
		for _, r := range c.rows {
			if r == i {
				return p.errf(row, ErrSyntax, "entry of column %s given twice", name)
			}
		}
		c.rows = append(c.rows, i)
		c.vals = append(c.vals, v)
	}
	return nil
}

// pairs parses "[set] row value [row value]" lines of RHS and RANGES.
func (p *mpsParser) pairs(f []string, set func(row string, v float64) error) error {
	if len(f)%2 == 1 { // a set name leads
		f = f[1:]
	}
	if len(f) != 2 && len(f) != 4 {
		return p.errf(strings.Join(f, " "), ErrSyntax, "%s line needs one or two row-value pairs", p.section)
	}
	for k := 0; k < len(f); k += 2 {
		v, err := p.number(f[k+1])
		if err != nil {
			return err
		}
		if err := set(f[k], v); err != nil {
			return err
		}
	}
	return nil
}

func (p *mpsParser) setRHS(row string, v float64) error {
	if row == p.objName {
		p.offset = -v // the objective row's RHS is minus the constant
		return nil
	}
	if p.freeRows[row] {
		return nil
	}
	i, ok := p.rowIdx[row]
	if !ok {
		return p.errf(row, ErrUnknownName, "row not declared in ROWS")
	}
	p.rows[i].rhs = v
	return nil
}

func (p *mpsParser) setRange(row string, v float64) error {
	i, ok := p.rowIdx[row]
	if !ok {
		if row == p.objName || p.freeRows[row] {
			return p.errf(row, ErrSyntax, "range on a free (N) row")
		}
		return p.errf(row, ErrUnknownName, "row not declared in ROWS")
	}
	p.rows[i].rng, p.rows[i].isRng = v, true
	return nil
}

func (p *mpsParser) boundLine(f []string) error {
	if len(f) < 2 {
		return p.errf(strings.Join(f, " "), ErrSyntax, "BOUNDS line needs a type and a column")
	}
	kind := strings.ToUpper(f[0])
	needsValue := false
	switch kind {
	case "UP", "LO", "FX", "LI", "UI":
		needsValue = true
	case "FR", "MI", "PL", "BV":
	case "SC", "SI":
		return p.errf(f[0], ErrUnsupported, "semi-continuous bound type %s", kind)
	default:
		return p.errf(f[0], ErrSyntax, "unknown bound type")
	}
	rest := f[1:]
	switch {
	case needsValue && len(rest) == 3, !needsValue && len(rest) == 3:
		rest = rest[1:] // set name, column, value
	case !needsValue && len(rest) == 2:
		// "type set column" or "type column value": a known column decides.
		if _, isCol := p.colIdx[rest[0]]; !isCol {
			rest = rest[1:]
		} else if _, err := strconv.ParseFloat(rest[1], 64); err != nil {
			rest = rest[1:]
		}
	case needsValue && len(rest) == 2, !needsValue && len(rest) == 1:
	default:
		return p.errf(strings.Join(f, " "), ErrSyntax, "BOUNDS line has the wrong number of fields")
	}
	j, ok := p.colIdx[rest[0]]
	if !ok {
		return p.errf(rest[0], ErrUnknownName, "column not declared in COLUMNS")
	}
	c := p.cols[j]
	c.touchedByBound = true
	var v float64
	if len(rest) == 2 {
		var err error
		if v, err = p.number(rest[1]); err != nil {
			return err
		}
	}
	switch kind {
	case "UP", "UI":
		c.upper, c.hasUp = v, true
		if v < 0 && !c.hasLo {
			c.lower = math.Inf(-1) // the CPLEX convention for a negative upper bound
		}
		if kind == "UI" {
			c.integer = true
		}
	case "LO", "LI":
		c.lower, c.hasLo = v, true
		if kind == "LI" {
			c.integer = true
		}
	case "FX":
		c.lower, c.upper, c.hasLo, c.hasUp = v, v, true, true
	case "FR":
		c.lower, c.upper, c.hasLo, c.hasUp = math.Inf(-1), Inf, true, true
	case "MI":
		c.lower, c.hasLo = math.Inf(-1), true
	case "PL":
		c.upper, c.hasUp = Inf, true
	case "BV":
		c.lower, c.upper, c.hasLo, c.hasUp, c.integer = 0, 1, true, true, true
	}
	return nil
}

func (p *mpsParser) number(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return math.Copysign(Inf, v), nil
		}
		return 0, p.errf(s, ErrSyntax, "not a number")
	}
	if math.IsNaN(v) {
		return 0, p.errf(s, ErrSyntax, "NaN is not allowed")
	}
	if math.Abs(v) >= mpsInfinity {
		return math.Copysign(Inf, v), nil
	}
	return v, nil
}

func (p *mpsParser) model() (*Model, error) {
	m := &Model{Name: p.name, ObjName: p.objName, Sense: p.sense, Offset: p.offset}
	nr, nc := len(p.rows), len(p.cols)
	m.RowNames = make([]string, nr)
	m.RowLower = make([]float64, nr)
	m.RowUpper = make([]float64, nr)
	for i, r := range p.rows {
		m.RowNames[i] = r.name
		lo, up := r.rhs, r.rhs
		switch r.kind {
		case 'L':
			lo = math.Inf(-1)
			if r.isRng {
				lo = r.rhs - math.Abs(r.rng)
			}
		case 'G':
			up = Inf
			if r.isRng {
				up = r.rhs + math.Abs(r.rng)
			}
		case 'E':
			if r.isRng && r.rng > 0 {
				up = r.rhs + r.rng
			} else if r.isRng && r.rng < 0 {
				lo = r.rhs + r.rng
			}
		}
		m.RowLower[i], m.RowUpper[i] = lo, up
	}
	m.ColNames = make([]string, nc)
	m.Cost = make([]float64, nc)
	m.ColLower = make([]float64, nc)
	m.ColUpper = make([]float64, nc)
	m.Type = make([]VarType, nc)
	m.Start = make([]int, nc+1)
	for j, c := range p.cols {
		m.ColNames[j] = c.name
		m.Cost[j] = c.cost
		m.ColLower[j], m.ColUpper[j] = c.lower, c.upper
		if c.marked && !c.touchedByBound {
			m.ColUpper[j] = 1 // integer marker columns without bounds are binary
		}
		if c.integer {
			m.Type[j] = Integer
		}
		sortPairs(c.rows, c.vals)
		m.Index = append(m.Index, c.rows...)
		m.Value = append(m.Value, c.vals...)
		m.Start[j+1] = len(m.Index)
	}
	if !m.IsMIP() {
		m.Type = nil
	}
	if err := m.Validate(); err != nil {
		return nil, &ParseError{File: p.file, Line: p.line, Err: err}
	}
	return m, nil
}

// sortPairs sorts idx ascending, permuting val alongside (insertion sort:
// MPS columns are almost always already in row order).
func sortPairs(idx []int, val []float64) {
	for i := 1; i < len(idx); i++ {
		for k := i; k > 0 && idx[k] < idx[k-1]; k-- {
			idx[k], idx[k-1] = idx[k-1], idx[k]
			val[k], val[k-1] = val[k-1], val[k]
		}
	}
}

// fixedFields splits a data line by the fixed MPS columns.
func fixedFields(line string) []string {
	spans := [][2]int{{1, 3}, {4, 12}, {14, 22}, {24, 36}, {39, 47}, {49, 61}}
	var out []string
	for _, s := range spans {
		if s[0] >= len(line) {
			break
		}
		f := strings.TrimSpace(line[s[0]:min(s[1], len(line))])
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

func equalFields(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

func isText(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0xfffd }) < 0
}
