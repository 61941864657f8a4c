package bandits

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// NetworkError reports a malformed line of a network file.
type NetworkError struct {
	File string
	Line int
	Msg  string
}

func (e *NetworkError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }
func (e *NetworkError) Unwrap() error { return ErrNetwork }

// LoadNetwork reads a transit network from a CSV of connections whose
// first two columns are station ids (header "station1,station2,...", as in
// the London Underground data of SEQUOIA). Nodes are the stations that
// appear, in increasing id order; Names holds their ids.
func LoadNetwork(path string) (*Graph, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, &NetworkError{path, 1, "no header: " + err.Error()}
	}
	if len(header) < 2 || !strings.Contains(strings.ToLower(header[0]), "station") {
		return nil, &NetworkError{path, 1, fmt.Sprintf("want a header starting station1,station2; got %q", strings.Join(header, ","))}
	}
	var edges [][2]int
	ids := map[int]bool{}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &NetworkError{path, line, err.Error()}
		}
		if len(rec) < 2 {
			return nil, &NetworkError{path, line, "want two station ids"}
		}
		var e [2]int
		for k := range 2 {
			if e[k], err = strconv.Atoi(strings.TrimSpace(rec[k])); err != nil {
				return nil, &NetworkError{path, line, fmt.Sprintf("station id %q is not an integer", rec[k])}
			}
			ids[e[k]] = true
		}
		if e[0] != e[1] {
			edges = append(edges, e)
		}
	}
	if len(edges) == 0 {
		return nil, &NetworkError{path, 2, "no connections"}
	}
	order := make([]int, 0, len(ids))
	for id := range ids {
		order = append(order, id)
	}
	slices.Sort(order)
	index := map[int]int{}
	g := &Graph{Adj: make([][]int, len(order))}
	for i, id := range order {
		index[id] = i
		g.Names = append(g.Names, strconv.Itoa(id))
	}
	for _, e := range edges {
		a, b := index[e[0]], index[e[1]]
		if !slices.Contains(g.Adj[a], b) {
			g.Adj[a] = append(g.Adj[a], b)
			g.Adj[b] = append(g.Adj[b], a)
		}
	}
	for i := range g.Adj {
		slices.Sort(g.Adj[i])
	}
	return g, nil
}
