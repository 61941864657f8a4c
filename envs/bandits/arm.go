package bandits

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
)

// NumStates is the number of states of an arm.
const NumStates = 4

// Arm is one restless arm.
type Arm struct {
	PActive, PPassive float64
	Reward            [NumStates]float64
	Good              bool
}

func up(s int) int   { return min(s+1, NumStates-1) }
func down(s int) int { return max(s-1, 0) }

// Expected returns the expected reward of the arm's next state from state s
// when it moves up with probability p.
func (a Arm) Expected(s int, p float64) float64 {
	return p*a.Reward[up(s)] + (1-p)*a.Reward[down(s)]
}

// newArm draws an arm; good arms pay most at the top.
func newArm(rng *rand.Rand, good bool) Arm {
	a := Arm{PActive: 0.7 + 0.2*rng.Float64(), PPassive: 0.2 * rng.Float64(), Good: good}
	if good {
		a.Reward = [NumStates]float64{0.2, 0.15, 0.1, float64(4 + rng.IntN(3))}
	} else {
		a.Reward = [NumStates]float64{0.1, 0.15, 0.2, float64(1 + rng.IntN(3))}
	}
	return a
}

// Action is a set of action variables (arms, or interventions), as a
// bitset of up to 128 members. The zero value is "no action".
type Action [2]uint64

// MaxVars is the most action variables an Action holds.
const MaxVars = 128

// Set returns a with member i added.
func (a Action) Set(i int) Action {
	a[i/64] |= 1 << (i % 64)
	return a
}

// Has reports whether i is a member.
func (a Action) Has(i int) bool { return a[i/64]>>(i%64)&1 == 1 }

// Len returns the number of members.
func (a Action) Len() int { return bits.OnesCount64(a[0]) + bits.OnesCount64(a[1]) }

// Members lists the members in increasing order.
func (a Action) Members() []int {
	var out []int
	for w := range 2 {
		for x := a[w]; x != 0; x &= x - 1 {
			out = append(out, 64*w+bits.TrailingZeros64(x))
		}
	}
	return out
}

// ActionOf builds an Action from members.
func ActionOf(members ...int) Action {
	var a Action
	for _, i := range members {
		a = a.Set(i)
	}
	return a
}

func (a Action) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for k, i := range a.Members() {
		if k > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteByte('}')
	return b.String()
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
func logit(p float64) float64   { return math.Log(p / (1 - p)) }
