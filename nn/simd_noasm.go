//go:build !amd64 || purego

package nn

// hasSIMD is false: this platform has no assembly kernels, and the
// wrappers in simd.go run their Go loops throughout.
const hasSIMD = false

func reluSIMD(d, x []float32)                      { panic("nn: no SIMD kernels") }
func reluGradAddSIMD(d, x, g []float32)            { panic("nn: no SIMD kernels") }
func axpySIMD(d []float32, a float32, s []float32) { panic("nn: no SIMD kernels") }
func adamSIMD(p, g, m, v []float32, c *adamConsts) { panic("nn: no SIMD kernels") }
