package train

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/corl-go/corl/internal/atomicfile"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/trace"
)

// ErrRunExists is returned when a new run would overwrite another.
var ErrRunExists = errors.New("train: run directory already holds a run")

// ErrConfigMismatch is returned when a resumed run's settings differ from
// the recorded ones.
var ErrConfigMismatch = errors.New("train: settings differ from the run's config.json")

// Dir is a run directory.
type Dir struct {
	Path string
}

// Create makes a new run directory at path and records config (marshalled
// to JSON) in its config.json. An existing run there is ErrRunExists.
func Create(path string, config any) (*Dir, error) {
	if _, err := os.Stat(filepath.Join(path, "config.json")); err == nil {
		return nil, fmt.Errorf("%w: %s (resume it, or choose another directory)", ErrRunExists, path)
	}
	d := &Dir{Path: path}
	for _, sub := range []string{"checkpoints", "trace", "plots"} {
		if err := os.MkdirAll(filepath.Join(path, sub), 0o755); err != nil {
			return nil, err
		}
	}
	b, err := json.MarshalIndent(config, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("train: config: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(path, "config.json"), append(b, '\n')); err != nil {
		return nil, err
	}
	return d, nil
}

// Open opens an existing run directory and decodes its config.json into config.
func Open(path string, config any) (*Dir, error) {
	file := filepath.Join(path, "config.json")
	b, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("train: %s is not a run directory (no config.json)", path)
		}
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(config); err != nil {
		return nil, fmt.Errorf("train: %s: %w", file, err)
	}
	return &Dir{Path: path}, nil
}

// Join returns a path inside the run directory.
func (d *Dir) Join(elem ...string) string { return filepath.Join(append([]string{d.Path}, elem...)...) }

// TracePath is the training trace's file.
func (d *Dir) TracePath() string { return d.Join("trace", "train.parquet") }

// WriteTrace replaces the training trace with rows (atomically).
func (d *Dir) WriteTrace(rows []trace.Train) error {
	w, err := trace.CreateOf[trace.Train](d.TracePath())
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		if err := w.Write(rows...); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}

// ReadTrace returns the training trace's rows (none if there is no trace yet).
func (d *Dir) ReadTrace() ([]trace.Train, error) {
	if _, err := os.Stat(d.TracePath()); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return trace.ReadOf[trace.Train](d.TracePath())
}

// Checkpoint is what a training checkpoint holds besides the weights.
type Checkpoint struct {
	Step   int `json:"step"`   // optimizer steps taken
	Epoch  int `json:"epoch"`  // the epoch under way (or next, with Cursor 0)
	Cursor int `json:"cursor"` // batches of Epoch already taken
	// RNG holds named random generators' states (MarshalBinary of a
	// math/rand/v2 source).
	RNG map[string][]byte `json:"rng,omitempty"`
	// Agent is the agent's own state (learning rate, best validation
	// loss, counters...).
	Agent json.RawMessage `json:"agent,omitempty"`
}

const keepCheckpoints = 2

func (d *Dir) ckptBase(step int) string {
	return d.Join("checkpoints", fmt.Sprintf("ckpt-%09d", step))
}

// WeightsPath is the weights file of the checkpoint at step.
func (d *Dir) WeightsPath(step int) string { return d.ckptBase(step) + ".safetensors" }

// SaveCheckpoint writes a checkpoint: the weights (with arch and config, a
// checkpoint any loader of that arch reads), the optimizer's moments, and
// ck, last. Older checkpoints beyond the last two are removed.
func (d *Dir) SaveCheckpoint(ck Checkpoint, weights []nn.Param, arch string, config any, opt *nn.Adam) error {
	base := d.ckptBase(ck.Step)
	if err := nn.Save(base+".safetensors", weights, arch, config); err != nil {
		return err
	}
	st := opt.State(weights)
	var moments []nn.Param
	for i := range st.M {
		moments = append(moments, nn.Param{Name: "m." + st.M[i].Name, Value: st.M[i].Value}, nn.Param{Name: "v." + st.V[i].Name, Value: st.V[i].Value})
	}
	if err := nn.Save(base+".optim.safetensors", moments, "corl.adam", map[string]int{"steps": st.Steps}); err != nil {
		return err
	}
	b, err := json.MarshalIndent(ck, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(base+".json", append(b, '\n')); err != nil {
		return err
	}
	steps, err := d.checkpointSteps()
	if err != nil {
		return err
	}
	for _, s := range steps[:max(len(steps)-keepCheckpoints, 0)] {
		b := d.ckptBase(s)
		for _, f := range []string{b + ".json", b + ".safetensors", b + ".optim.safetensors"} {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// SaveState is SaveCheckpoint for an agent whose own state is st
// (marshalled to JSON as the checkpoint's Agent) and whose random
// generators are rngs, by name, after the training trace is replaced by
// rows. The trace goes first: a kill between the two leaves a trace with
// rows past the newest checkpoint, which a resume drops (each agent keeps
// the rows its checkpoint covers), never a checkpoint whose rows are
// missing.
func (d *Dir) SaveState(step, epoch int, st any, rngs map[string]encoding.BinaryMarshaler, weights []nn.Param, arch string, config any, opt *nn.Adam, rows []trace.Train) error {
	agent, err := json.Marshal(st)
	if err != nil {
		return err
	}
	ck := Checkpoint{Step: step, Epoch: epoch, RNG: map[string][]byte{}, Agent: agent}
	for name, g := range rngs {
		if ck.RNG[name], err = g.MarshalBinary(); err != nil {
			return err
		}
	}
	if err := d.WriteTrace(rows); err != nil {
		return err
	}
	return d.SaveCheckpoint(ck, weights, arch, config, opt)
}

// checkpointSteps lists the steps of complete checkpoints, ascending.
func (d *Dir) checkpointSteps() ([]int, error) {
	entries, err := os.ReadDir(d.Join("checkpoints"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var steps []int
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, "ckpt-") || !strings.HasSuffix(n, ".json") {
			continue
		}
		s, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(n, "ckpt-"), ".json"))
		if err == nil {
			steps = append(steps, s)
		}
	}
	sort.Ints(steps)
	return steps, nil
}

// HasCheckpoint reports whether the run has a complete checkpoint.
func (d *Dir) HasCheckpoint() bool {
	steps, err := d.checkpointSteps()
	return err == nil && len(steps) > 0
}

// LatestCheckpoint loads the newest complete checkpoint: its state, and its
// weights and optimizer moments into weights and opt. ok is false when the
// run has none yet.
func (d *Dir) LatestCheckpoint(weights []nn.Param, opt *nn.Adam) (ck Checkpoint, ok bool, err error) {
	steps, err := d.checkpointSteps()
	if err != nil || len(steps) == 0 {
		return ck, false, err
	}
	base := d.ckptBase(steps[len(steps)-1])
	b, err := os.ReadFile(base + ".json")
	if err != nil {
		return ck, false, err
	}
	if err := json.Unmarshal(b, &ck); err != nil {
		return ck, false, fmt.Errorf("train: %s.json: %w", base, err)
	}
	w, err := nn.ReadCheckpoint(base + ".safetensors")
	if err != nil {
		return ck, false, err
	}
	if err := w.LoadInto(weights); err != nil {
		return ck, false, err
	}
	o, err := nn.ReadCheckpoint(base + ".optim.safetensors")
	if err != nil {
		return ck, false, err
	}
	var meta struct {
		Steps int `json:"steps"`
	}
	if err := o.Config(&meta); err != nil {
		return ck, false, err
	}
	// Moments exist only for parameters the optimizer has updated; load
	// whichever the file holds.
	var st nn.AdamState
	st.Steps = meta.Steps
	for _, p := range weights {
		if _, ok := o.Tensors["m."+p.Name]; !ok {
			continue
		}
		shape := p.Value.Shape()
		m, v := nn.New(p.Value.Backend(), shape...), nn.New(p.Value.Backend(), shape...)
		st.M = append(st.M, nn.Param{Name: p.Name, Value: m})
		st.V = append(st.V, nn.Param{Name: p.Name, Value: v})
	}
	var slots []nn.Param
	for i := range st.M {
		slots = append(slots, nn.Param{Name: "m." + st.M[i].Name, Value: st.M[i].Value}, nn.Param{Name: "v." + st.V[i].Name, Value: st.V[i].Value})
	}
	if err := o.LoadInto(slots); err != nil {
		return ck, false, err
	}
	if err := opt.SetState(weights, st); err != nil {
		return ck, false, fmt.Errorf("train: %s.optim.safetensors: %w", base, err)
	}
	return ck, true, nil
}

// SameConfig reports, as an error naming the first differing field
// (a nested one by its dotted path, "train.net.baseline"), whether two
// configs marshal to the same JSON fields (top-level fields listed in
// ignore may differ).
func SameConfig(recorded, given any, ignore ...string) error {
	a, err := flat(recorded)
	if err != nil {
		return err
	}
	b, err := flat(given)
	if err != nil {
		return err
	}
	return sameFields("", a, b, ignore)
}

// sameFields is SameConfig on decoded objects, the fields named after
// prefix.
func sameFields(prefix string, a, b map[string]json.RawMessage, ignore []string) error {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if slices.Contains(ignore, k) {
			continue
		}
		if string(a[k]) == string(b[k]) {
			continue
		}
		var ao, bo map[string]json.RawMessage
		if json.Unmarshal(a[k], &ao) == nil && json.Unmarshal(b[k], &bo) == nil && ao != nil && bo != nil {
			if err := sameFields(prefix+k+".", ao, bo, nil); err != nil {
				return err
			}
			continue // the same fields, spelt differently
		}
		return fmt.Errorf("%w: %s is %s there, %s here", ErrConfigMismatch, prefix+k, orNone(a[k]), orNone(b[k]))
	}
	return nil
}

func orNone(b json.RawMessage) string {
	if b == nil {
		return "unset"
	}
	return string(b)
}

func flat(v any) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}
