package revibranch

import (
	_ "embed"

	"github.com/corl-go/corl/nn"
)

// defaultSetCover is the shipped set-cover policy: see DefaultPolicy.
//
//go:embed policies/setcover.safetensors
var defaultSetCover []byte

// DefaultPolicyFile is the shipped policy's path in the repository.
const DefaultPolicyFile = "agents/revibranch/policies/setcover.safetensors"

// DefaultPolicy returns the policy that ships inside corl, trained by
// imitation of full strong branching on generated set-cover instances (the
// command that made it is in the README). It is what `--branching gnn`
// uses; it loads on the CPU backend.
func DefaultPolicy() (*Policy, error) {
	return ParsePolicy("embedded:"+DefaultPolicyFile, defaultSetCover, nn.CPU())
}

// DefaultPolicyBytes returns the shipped checkpoint's bytes.
func DefaultPolicyBytes() []byte { return append([]byte(nil), defaultSetCover...) }
