package highs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// linearMemory is the module's memory as a host function sees it.
type linearMemory interface {
	bytes() []byte               // the current contents; invalid after grow
	grow(deltaPages uint32) bool // false when the memory cannot grow
}

// hostFunc implements one import. A non-nil error traps the module.
type hostFunc func(h *host, mem linearMemory, args []uint64) (uint64, error)

// errTrapHost marks errors raised by host functions to trap the module.
var errTrapHost = errors.New("trap")

// host is the per-instance state the imports use: where HiGHS's log goes,
// the tail of that log for error messages, and the instance's clock.
type host struct {
	log   io.Writer
	tail  [8]string // last complete log lines, ring
	ntail int
	part  []byte // incomplete last line
	start time.Time
	trap  string // what the last trapping import reported

	// interrupted makes the clocks HiGHS reads run far ahead, so HiGHS
	// stops at its next time-limit check as if its time limit had passed;
	// jumps counts the reads since (see now).
	interrupted atomic.Bool
	jumps       int64
}

// clockJump is how far each clock read after an interruption is ahead of
// the one before: beyond any time limit a Solver sets (see interruptLimit).
// maxJumps bounds the total (2e9 s) so that the real-time clock stays
// within an int64 of nanoseconds until about 2190.
const (
	clockJump = 2e6 * time.Second
	maxJumps  = 1000
)

// now is the time HiGHS reads. Once interrupted, every read is a further
// clockJump ahead of the one before, not one fixed jump: HiGHS times its
// phases with clocks it starts along the way, and a clock started after a
// fixed jump would never see it, so an interruption during presolve or
// before the search went unnoticed until the solve's own end.
func (h *host) now() time.Time {
	t := time.Now()
	if h.interrupted.Load() {
		h.jumps = min(h.jumps+1, maxJumps)
		t = t.Add(time.Duration(h.jumps) * clockJump)
	}
	return t
}

// resume ends an interruption: the clocks read true time again.
func (h *host) resume() {
	h.interrupted.Store(false)
	h.jumps = 0
}

func newHost() *host { return &host{start: time.Now()} }

func (h *host) write(p []byte) {
	if h.log != nil {
		h.log.Write(p)
	}
	h.part = append(h.part, p...)
	for {
		i := bytes.IndexByte(h.part, '\n')
		if i < 0 {
			break
		}
		if line := strings.Join(strings.Fields(string(h.part[:i])), " "); line != "" {
			h.tail[h.ntail%len(h.tail)] = line
			h.ntail++
		}
		h.part = h.part[i+1:]
	}
	if len(h.part) > 4096 {
		h.part = h.part[:0]
	}
}

// logTail returns up to n of the last log lines that look like errors or
// warnings, or else the last lines.
func (h *host) logTail(n int) []string {
	var all []string
	for k := max(0, h.ntail-len(h.tail)); k < h.ntail; k++ {
		all = append(all, h.tail[k%len(h.tail)])
	}
	var errs []string
	for _, l := range all {
		if strings.HasPrefix(l, "ERROR") || strings.HasPrefix(l, "WARNING") {
			errs = append(errs, l)
		}
	}
	if len(errs) > 0 {
		all = errs
	}
	return all[max(0, len(all)-n):]
}

func (h *host) clearTail() { h.ntail = 0; h.part = h.part[:0] }

func (h *host) fail(msg string) (uint64, error) {
	h.trap = msg
	return 0, errTrapHost
}

const (
	pageSize = 65536
	// Emscripten errno values returned (negated) by the syscall imports.
	eBADF  = 8
	eNOENT = 44
	eNOSYS = 52
	eSPIPE = 70
	eNOTTY = 59
)

func neg(errno int32) uint64 { return uint64(uint32(-errno)) }

// hostFuncs implements the module's imports by their JavaScript names.
var hostFuncs = map[string]hostFunc{
	"cxa_throw": func(h *host, _ linearMemory, _ []uint64) (uint64, error) {
		return h.fail("uncaught C++ exception thrown inside HiGHS")
	},
	"abort_js": func(h *host, _ linearMemory, _ []uint64) (uint64, error) {
		return h.fail("HiGHS aborted")
	},
	"exit": func(h *host, _ linearMemory, a []uint64) (uint64, error) {
		return h.fail("HiGHS called exit(" + strconv.Itoa(int(int32(a[0]))) + ")")
	},
	"proc_exit": func(h *host, _ linearMemory, a []uint64) (uint64, error) {
		return h.fail("HiGHS called exit(" + strconv.Itoa(int(int32(a[0]))) + ")")
	},
	"syscall_openat":                     func(*host, linearMemory, []uint64) (uint64, error) { return neg(eNOENT), nil },
	"syscall_fcntl64":                    func(*host, linearMemory, []uint64) (uint64, error) { return neg(eNOSYS), nil },
	"syscall_ioctl":                      func(*host, linearMemory, []uint64) (uint64, error) { return neg(eNOTTY), nil },
	"fd_close":                           func(*host, linearMemory, []uint64) (uint64, error) { return 0, nil },
	"fd_read":                            func(*host, linearMemory, []uint64) (uint64, error) { return eBADF, nil },
	"fd_seek":                            func(*host, linearMemory, []uint64) (uint64, error) { return eSPIPE, nil },
	"fd_write":                           fdWrite,
	"emscripten_runtime_keepalive_clear": func(*host, linearMemory, []uint64) (uint64, error) { return 0, nil },
	// HiGHS reads its own clock for time limits; the timer import is unused.
	"setitimer_js":   func(*host, linearMemory, []uint64) (uint64, error) { return 0, nil },
	"tzset_js":       tzset,
	"clock_time_get": clockTimeGet,
	"emscripten_date_now": func(h *host, _ linearMemory, _ []uint64) (uint64, error) {
		return math.Float64bits(float64(h.now().UnixNano()) / 1e6), nil
	},
	"emscripten_get_now": func(h *host, _ linearMemory, _ []uint64) (uint64, error) {
		return math.Float64bits(float64(h.now().Sub(h.start).Nanoseconds()) / 1e6), nil
	},
	"emscripten_resize_heap": resizeHeap,
	"environ_sizes_get": func(_ *host, mem linearMemory, a []uint64) (uint64, error) {
		m := mem.bytes()
		if !put32(m, a[0], 0) || !put32(m, a[1], 0) {
			return 0, errTrapHost
		}
		return 0, nil
	},
	"environ_get": func(*host, linearMemory, []uint64) (uint64, error) { return 0, nil },
}

func put32(m []byte, addr uint64, v uint32) bool {
	if addr+4 > uint64(len(m)) {
		return false
	}
	binary.LittleEndian.PutUint32(m[addr:], v)
	return true
}

// fdWrite gathers an iovec array; standard output and error go to the log.
func fdWrite(h *host, mem linearMemory, a []uint64) (uint64, error) {
	fd, iov, n, pnum := uint32(a[0]), uint64(uint32(a[1])), uint64(uint32(a[2])), uint64(uint32(a[3]))
	m := mem.bytes()
	if iov+8*n > uint64(len(m)) {
		return h.fail("fd_write: iovec out of bounds")
	}
	var total uint32
	for k := range n {
		p := uint64(binary.LittleEndian.Uint32(m[iov+8*k:]))
		l := uint64(binary.LittleEndian.Uint32(m[iov+8*k+4:]))
		if p+l > uint64(len(m)) {
			return h.fail("fd_write: buffer out of bounds")
		}
		if fd == 1 || fd == 2 {
			h.write(m[p : p+l])
		}
		total += uint32(l)
	}
	if !put32(m, pnum, total) {
		return h.fail("fd_write: result pointer out of bounds")
	}
	return 0, nil
}

func clockTimeGet(h *host, mem linearMemory, a []uint64) (uint64, error) {
	var ns uint64
	if uint32(a[0]) == 0 { // realtime
		ns = uint64(h.now().UnixNano())
	} else { // monotonic and CPU clocks
		ns = uint64(h.now().Sub(h.start).Nanoseconds())
	}
	m := mem.bytes()
	p := uint64(uint32(a[2]))
	if p+8 > uint64(len(m)) {
		return h.fail("clock_time_get: pointer out of bounds")
	}
	binary.LittleEndian.PutUint64(m[p:], ns)
	return 0, nil
}

// tzset reports UTC: offset 0, no daylight saving, both zone names "UTC".
func tzset(h *host, mem linearMemory, a []uint64) (uint64, error) {
	m := mem.bytes()
	for _, p := range a[:2] {
		if !put32(m, uint64(uint32(p)), 0) {
			return h.fail("tzset: pointer out of bounds")
		}
	}
	for _, p := range a[2:4] {
		q := uint64(uint32(p))
		if q+4 > uint64(len(m)) {
			return h.fail("tzset: pointer out of bounds")
		}
		copy(m[q:], "UTC\x00")
	}
	return 0, nil
}

// resizeHeap grows the memory to at least the requested size, over-growing
// by a fifth (at most 96 MiB) as Emscripten's own glue does, so that a
// growing heap is not copied on every allocation.
func resizeHeap(_ *host, mem linearMemory, a []uint64) (uint64, error) {
	want := uint64(uint32(a[0]))
	old := uint64(len(mem.bytes()))
	if want <= old {
		return 1, nil
	}
	target := max(want, min(old+old/5, want+96<<20))
	target = min((target+pageSize-1)/pageSize*pageSize, 1<<32-pageSize)
	if target < want {
		return 0, nil
	}
	if mem.grow(uint32((target - old) / pageSize)) {
		return 1, nil
	}
	// Fall back to the exact request.
	if mem.grow(uint32((want - old + pageSize - 1) / pageSize)) {
		return 1, nil
	}
	return 0, nil
}
