//go:build amd64 && !purego

package nn

import "golang.org/x/sys/cpu"

// hasSIMD says whether the float32 kernels in simd_amd64.s can run here.
var hasSIMD = cpu.X86.HasAVX2

//go:noescape
func reluAVX2(d, x *float32, n int)

//go:noescape
func reluGradAddAVX2(d, x, dy *float32, n int)

//go:noescape
func axpyAVX2(d *float32, a float32, s *float32, n int)

//go:noescape
func adamAVX2(p, grad, m, v *float32, n int, c *adamConsts)

func reluSIMD(d, x []float32)                      { reluAVX2(&d[0], &x[0], len(d)) }
func reluGradAddSIMD(d, x, g []float32)            { reluGradAddAVX2(&d[0], &x[0], &g[0], len(d)) }
func axpySIMD(d []float32, a float32, s []float32) { axpyAVX2(&d[0], a, &s[0], len(d)) }
func adamSIMD(p, g, m, v []float32, c *adamConsts) {
	adamAVX2(&p[0], &g[0], &m[0], &v[0], len(p), c)
}
