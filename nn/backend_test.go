package nn

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultBackendFromEnvironment(t *testing.T) {
	reset := func() {
		registryMu.Lock()
		defaultBe = nil
		registryMu.Unlock()
	}
	t.Cleanup(reset)
	for _, tc := range []struct{ env, want, err string }{
		{"", "cpu", ""},
		{"cpu64", "cpu64", ""},
		{"tpu", "", `CORL_NN_BACKEND: nn: unknown backend "tpu" (registered: [cpu cpu64])`},
		{"cuda", "", `built without CUDA: build it with -tags cuda`},
	} {
		reset()
		t.Setenv(EnvBackend, tc.env)
		b, err := Default()
		if tc.err != "" {
			if !errors.Is(err, ErrUnknownBackend) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s=%q: error %v, want %q", EnvBackend, tc.env, err, tc.err)
			}
			continue
		}
		if err != nil || b.Name() != tc.want {
			t.Errorf("%s=%q: backend %v (%v), want %s", EnvBackend, tc.env, b, err, tc.want)
		}
	}
}
