//go:build !highs_native || !cgo

package highs

import (
	"os"
	"testing"
)

// TestNativeRequired fails a build without the native engine when
// CORL_REQUIRE_HIGHS_NATIVE=1 says it must be there.
func TestNativeRequired(t *testing.T) {
	if os.Getenv("CORL_REQUIRE_HIGHS_NATIVE") == "1" {
		t.Fatal("CORL_REQUIRE_HIGHS_NATIVE=1 but this test binary was built without -tags highs_native (or without cgo)")
	}
	t.Skip("native engine not compiled in (build with -tags highs_native where libhighs is installed)")
}
