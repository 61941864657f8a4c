package plot

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/corl-go/corl/internal/atomicfile"
	"github.com/corl-go/corl/trace"
)

// Size and resolution of the charts.
const (
	width  = 7 * vg.Inch
	height = 4.5 * vg.Inch
	dpi    = 144 // PNG: 1008 x 648 pixels
)

// Formats are the output formats, by file extension.
var Formats = []string{"png", "svg"}

// TrainingCurves draws the charts of a training trace into dir (created
// if missing) as files with extension ext ("png" or "svg"): loss, and
// accuracy and return where the rows hold them. It returns the paths
// written, and fails with ErrNoRows when the rows hold no value to draw
// and ErrFormat for another ext.
func TrainingCurves(rows []trace.Train, dir, ext string) ([]string, error) {
	ext, err := checkFormat(ext)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNoRows
	}
	step := byStep(rows)
	xLabel := "epoch"
	if step {
		xLabel = "optimizer step"
	}
	present := func(p *float64) (float64, bool) {
		if p == nil {
			return 0, false
		}
		return *p, true
	}
	var charts []chart
	if loss := trainCurves(rows, step, func(r trace.Train) (float64, bool) { return r.Loss, true }); len(loss) > 0 {
		charts = append(charts, chart{file: "loss", title: "Loss", x: xLabel, y: "loss", curves: loss, points: true, logY: wideRange(loss)})
	}
	var acc []Curve
	for _, m := range []struct {
		name string
		get  func(trace.Train) *float64
	}{{"top-1", func(r trace.Train) *float64 { return r.Top1 }}, {"top-5", func(r trace.Train) *float64 { return r.Top5 }}} {
		for _, c := range trainCurves(rows, step, func(r trace.Train) (float64, bool) { return present(m.get(r)) }) {
			c.Name += " " + m.name
			acc = append(acc, c)
		}
	}
	if len(acc) > 0 {
		charts = append(charts, chart{file: "accuracy", title: "Accuracy: the expert's choice ranked first (top-1) or among the first five (top-5)",
			x: xLabel, y: "accuracy", curves: acc, points: true, yMin: ptr(0.0), yMax: ptr(1.0)})
	}
	if ret := trainCurves(rows, step, func(r trace.Train) (float64, bool) { return present(r.Return) }); len(ret) > 0 {
		charts = append(charts, chart{file: "return", title: "Mean episode return", x: xLabel, y: "return", curves: ret, points: true})
	}
	if len(charts) == 0 {
		return nil, fmt.Errorf("%w: no loss, accuracy or return values", ErrNoRows)
	}
	return writeCharts(charts, dir, ext)
}

// EvalPlots draws the charts of an evaluation into dir (created if
// missing) as files with extension ext ("png" or "svg"): the share of
// instances solved over time ("solved-over-time") and the performance
// profiles of nodes and time ("profile-nodes", "profile-time"). It
// returns the paths written, and fails like SolvedOverTime and with
// ErrFormat for another ext.
func EvalPlots(rows []trace.Result, dir, ext string) ([]string, error) {
	ext, err := checkFormat(ext)
	if err != nil {
		return nil, err
	}
	t, err := newTable(rows)
	if err != nil {
		return nil, err
	}
	n := len(t.instances)
	solved, err := SolvedOverTime(rows)
	if err != nil {
		return nil, err
	}
	// The time axis runs from the fastest solve to the longest run (a
	// time limit, for unsolved runs), on a log scale.
	lo, hi := math.Inf(1), 0.0
	for _, r := range rows {
		if s := r.Seconds; s > 0 && !math.IsInf(s, 0) {
			hi = max(hi, s)
			if r.Solved() {
				lo = min(lo, s)
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo = hi / 10
	}
	if hi <= 0 {
		lo, hi = 0.01, 1
	}
	lo, hi = max(lo/1.25, 1e-4), max(hi*1.25, lo*10)
	charts := []chart{{
		file: "solved-over-time", title: fmt.Sprintf("Instances solved over time (%d instances)", n),
		x: "time (s)", y: "share of instances solved", curves: solved,
		steps: true, logX: true, xMin: &lo, xMax: &hi, yMin: ptr(0.0), yMax: ptr(1.0),
	}}
	for _, m := range []Measure{Nodes, Time} {
		prof, err := PerformanceProfile(rows, m)
		if err != nil {
			return nil, err
		}
		top := 2.0
		for _, c := range prof {
			if len(c.X) > 0 {
				top = max(top, c.X[len(c.X)-1]*1.25)
			}
		}
		charts = append(charts, chart{
			file: "profile-" + m.Name, title: fmt.Sprintf("Performance profile: %s (%d instances)", m.Name, n),
			x: fmt.Sprintf("τ: %s / the best policy's %s", m.Name, m.Name), y: "share of instances within τ of the best",
			curves: prof, steps: true, logX: true, xMin: ptr(1.0), xMax: &top, yMin: ptr(0.0), yMax: ptr(1.0),
		})
	}
	return writeCharts(charts, dir, ext)
}

func ptr[T any](v T) *T { return &v }

// checkFormat checks and normalizes an output format ("png", ".SVG").
func checkFormat(ext string) (string, error) {
	e := strings.ToLower(strings.TrimPrefix(ext, "."))
	if !slices.Contains(Formats, e) {
		return "", fmt.Errorf("%w %q: want %s", ErrFormat, ext, strings.Join(Formats, " or "))
	}
	return e, nil
}

// wideRange reports whether the curves' values are all positive and span
// more than a factor 20, so that a log scale shows them better.
func wideRange(cs []Curve) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range cs {
		for _, y := range c.Y {
			if y <= 0 || math.IsInf(y, 0) {
				return false
			}
			lo, hi = min(lo, y), max(hi, y)
		}
	}
	return hi > 20*lo
}

// chart is one figure.
type chart struct {
	file, title, x, y string
	curves            []Curve
	points            bool // mark the data points
	steps             bool // step functions, drawn from xMin (at 0) to xMax
	logX, logY        bool
	xMin, xMax        *float64
	yMin, yMax        *float64
}

func writeCharts(charts []chart, dir, ext string) ([]string, error) {
	var paths []string
	for _, c := range charts {
		path := filepath.Join(dir, c.file+"."+ext)
		if err := c.write(path, ext); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// write draws the chart and writes it to path atomically.
func (c *chart) write(path, ext string) error {
	p, legend, err := c.plot()
	if err != nil {
		return fmt.Errorf("plot: %s: %w", path, err)
	}
	var cw vg.CanvasWriterTo
	switch ext {
	case "png":
		cw = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))}
	case "svg":
		cw = vgsvg.New(width, height)
	}
	dc := draw.New(cw)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	// The legend goes in a column right of the plot, so it never hides a line.
	lw := legend.width()
	p.Draw(draw.Crop(dc, 0, -lw, 0, 0))
	legend.draw(draw.Crop(dc, width-lw, 0, 0, 0), p)
	f, err := atomicfile.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := cw.WriteTo(f); err != nil {
		f.Abort()
		return fmt.Errorf("plot: %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("plot: %s: %w", path, err)
	}
	return nil
}

// plot builds the gonum plot of the chart, with its legend apart.
func (c *chart) plot() (*gplot.Plot, *legend, error) {
	p := gplot.New()
	p.Title.Text = c.title
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = c.x
	p.Y.Label.Text = c.y
	p.Add(plotter.NewGrid())
	p.X.Tick.Marker, p.Y.Tick.Marker = linTicks{}, linTicks{}
	if c.logX {
		p.X.Scale = gplot.LogScale{}
		p.X.Tick.Marker = logTicks{}
	}
	if c.logY {
		p.Y.Scale = gplot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	lg := &legend{}
	for i, cv := range c.curves {
		xys := make(plotter.XYs, 0, len(cv.X)+2)
		if c.steps && (len(cv.X) == 0 || cv.X[0] > *c.xMin) {
			xys = append(xys, plotter.XY{X: *c.xMin, Y: 0})
		}
		for j := range cv.X {
			x := cv.X[j]
			if c.logX {
				x = max(x, *c.xMin)
			}
			xys = append(xys, plotter.XY{X: x, Y: cv.Y[j]})
		}
		if c.steps {
			y := 0.0
			if len(cv.Y) > 0 {
				y = cv.Y[len(cv.Y)-1]
			}
			xys = append(xys, plotter.XY{X: *c.xMax, Y: y})
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, nil, fmt.Errorf("curve %q: %w", cv.Name, err)
		}
		line.Color = plotutil.DarkColors[i%len(plotutil.DarkColors)]
		line.Dashes = plotutil.Dashes(i)
		line.Width = vg.Points(1.5)
		if c.steps {
			line.StepStyle = plotter.PostStep
		}
		p.Add(line)
		thumbs := []gplot.Thumbnailer{line}
		if c.points && len(xys) > 0 {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, nil, fmt.Errorf("curve %q: %w", cv.Name, err)
			}
			sc.Color = line.Color
			sc.Shape = plotutil.Shape(i)
			sc.Radius = vg.Points(2.5)
			p.Add(sc)
			thumbs = append(thumbs, sc)
		}
		lg.add(cv.Name, thumbs...)
	}
	if c.xMin != nil {
		p.X.Min = *c.xMin
	}
	if c.xMax != nil {
		p.X.Max = *c.xMax
	}
	if c.yMin != nil {
		p.Y.Min = *c.yMin
	}
	if c.yMax != nil {
		p.Y.Max = *c.yMax * 1.03 // room for a line at the top
	}
	return p, lg, nil
}

// legend lists the curves' names beside the plot.
type legend struct {
	gl    gplot.Legend
	names []string
}

const maxName = 30 // longer names are cut in the middle

func (l *legend) add(name string, thumbs ...gplot.Thumbnailer) {
	if r := []rune(name); len(r) > maxName {
		name = string(r[:maxName/3]) + "…" + string(r[len(r)-(maxName-maxName/3-1):])
	}
	if l.names == nil {
		l.gl = gplot.NewLegend()
		l.gl.TextStyle.Font.Size = vg.Points(10)
		l.gl.Top, l.gl.Left = true, true
		l.gl.Padding = vg.Points(4)
		l.gl.ThumbnailWidth = vg.Points(24)
	}
	l.names = append(l.names, name)
	l.gl.Add(name, thumbs...)
}

// width is the room the legend takes right of the plot.
func (l *legend) width() vg.Length {
	if len(l.names) == 0 {
		return vg.Points(12)
	}
	var w vg.Length
	for _, n := range l.names {
		w = max(w, l.gl.TextStyle.Rectangle(" "+n).Max.X)
	}
	return l.gl.ThumbnailWidth + w + vg.Points(20)
}

// draw draws the legend at the top of c, level with the plot's data area.
func (l *legend) draw(c draw.Canvas, p *gplot.Plot) {
	if len(l.names) == 0 {
		return
	}
	top := p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
	l.gl.Draw(draw.Crop(c, vg.Points(8), 0, 0, -top))
}

// logTicks labels a log axis at 1, 2 and 5 times the powers of ten (at
// every integer multiple on a range under a factor ten, at the powers of
// ten alone on a range over a factor 1e5), with unlabelled minor ticks at
// the other multiples.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []gplot.Tick {
	labelled := func(m int, span float64) bool {
		switch {
		case span > 5:
			return m == 1
		case span > 1:
			return m == 1 || m == 2 || m == 5
		}
		return true
	}
	span := math.Log10(hi / lo)
	var ticks []gplot.Tick
	for e := int(math.Floor(math.Log10(lo))); e <= int(math.Ceil(math.Log10(hi))); e++ {
		for m := 1; m <= 9; m++ {
			v, _ := strconv.ParseFloat(fmt.Sprintf("%de%d", m, e), 64) // exact decimal, unlike m*10^e
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := gplot.Tick{Value: v}
			if labelled(m, span) {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// linTicks labels a linear axis at multiples of 1, 2 or 5 times a power
// of ten, four to ten of them, with minor ticks between.
type linTicks struct{}

func (linTicks) Ticks(lo, hi float64) []gplot.Tick {
	if !(hi > lo) {
		return []gplot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 6, 64)}}
	}
	step := math.Pow10(int(math.Floor(math.Log10((hi - lo) / 10))))
	for _, m := range []float64{1, 2, 5, 10, 20, 50} {
		if (hi-lo)/(m*step) <= 8 {
			step *= m
			break
		}
	}
	minor := step / 5
	if m := step / math.Pow10(int(math.Floor(math.Log10(step)+1e-9))); math.Abs(m-2) < 1e-9 {
		minor = step / 4
	}
	var ticks []gplot.Tick
	for i := math.Ceil(lo/minor - 1e-9); i*minor <= hi+minor*1e-9; i++ {
		v := i * minor
		t := gplot.Tick{Value: v}
		if k := v / step; math.Abs(k-math.Round(k)) < 1e-6 {
			v = math.Round(k) * step
			if math.Abs(v) < step*1e-9 {
				v = 0
			}
			t.Value, t.Label = v, strconv.FormatFloat(v, 'g', 6, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}
