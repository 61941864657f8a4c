//go:build amd64 && !purego

#include "textflag.h"

// The float32 kernels the CPU backend runs with AVX2, 8 elements at a
// time; n is a multiple of 8 and the Go wrappers in simd.go do the tail.
// Every lane rounds exactly as the scalar Go loops do (no fused
// multiply-add), so both paths give the same bits.

// func reluAVX2(d, x *float32, n int)
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ d+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	XORQ AX, AX

relu_loop:
	CMPQ AX, CX
	JGE  relu_done
	// max(0, x) returns its second operand, x, when x is NaN; adding +0
	// turns −0 into +0, as Go's max(x, 0) gives.
	VMAXPS  (SI)(AX*4), Y0, Y1
	VADDPS  Y0, Y1, Y1
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     relu_loop

relu_done:
	VZEROUPPER
	RET

// func reluGradAddAVX2(d, x, dy *float32, n int)
TEXT ·reluGradAddAVX2(SB), NOSPLIT, $0-32
	MOVQ d+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ n+24(FP), CX
	VPXOR Y0, Y0, Y0
	XORQ  AX, AX

grad_loop:
	CMPQ AX, CX
	JGE  grad_done
	// all ones where x's bits, as int32, are positive: reluGrad's mask.
	VMOVDQU  (SI)(AX*4), Y1
	VPCMPGTD Y0, Y1, Y2
	VANDPS   (DX)(AX*4), Y2, Y2
	VMOVUPS  (DI)(AX*4), Y3
	VADDPS   Y2, Y3, Y3
	VMOVUPS  Y3, (DI)(AX*4)
	ADDQ     $8, AX
	JMP      grad_loop

grad_done:
	VZEROUPPER
	RET

// func axpyAVX2(d *float32, a float32, s *float32, n int)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	MOVQ         d+0(FP), DI
	VBROADCASTSS a+8(FP), Y0
	MOVQ         s+16(FP), SI
	MOVQ         n+24(FP), CX
	XORQ         AX, AX

axpy_loop:
	CMPQ AX, CX
	JGE  axpy_done
	VMULPS  (SI)(AX*4), Y0, Y1
	VMOVUPS (DI)(AX*4), Y2
	VADDPS  Y1, Y2, Y2
	VMOVUPS Y2, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     axpy_loop

axpy_done:
	VZEROUPPER
	RET

// func adamAVX2(p, grad, m, v *float32, n int, c *adamConsts)
TEXT ·adamAVX2(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ v+24(FP), R8
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), R9
	VBROADCASTSS 0(R9), Y8   // b1
	VBROADCASTSS 4(R9), Y9   // 1 − b1
	VBROADCASTSS 8(R9), Y10  // b2
	VBROADCASTSS 12(R9), Y11 // 1 − b2
	VBROADCASTSS 16(R9), Y12 // c1
	VBROADCASTSS 20(R9), Y13 // c2
	VBROADCASTSS 24(R9), Y14 // eps
	VBROADCASTSS 28(R9), Y15 // lr
	VBROADCASTSS 32(R9), Y7  // lr·wd
	XORQ AX, AX

adam_loop:
	CMPQ AX, CX
	JGE  adam_done
	VMOVUPS (SI)(AX*4), Y0     // g
	VMULPS  (DX)(AX*4), Y8, Y1 // b1·m
	VMULPS  Y0, Y9, Y2         // (1−b1)·g
	VADDPS  Y2, Y1, Y1         // m'
	VMOVUPS Y1, (DX)(AX*4)
	VMULPS  (R8)(AX*4), Y10, Y3 // b2·v
	VMULPS  Y0, Y11, Y4         // (1−b2)·g
	VMULPS  Y0, Y4, Y4          // ·g
	VADDPS  Y4, Y3, Y3          // v'
	VMOVUPS Y3, (R8)(AX*4)
	VDIVPS  Y13, Y3, Y3 // v'/c2
	VSQRTPS Y3, Y3
	VADDPS  Y14, Y3, Y3 // + eps
	VDIVPS  Y12, Y1, Y1 // m'/c1
	VMULPS  Y1, Y15, Y1 // lr·
	VDIVPS  Y3, Y1, Y1  // / den
	VMOVUPS (DI)(AX*4), Y5
	VMULPS  Y5, Y7, Y6  // lr·wd·p
	VADDPS  Y6, Y1, Y1
	VSUBPS  Y1, Y5, Y5
	VMOVUPS Y5, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     adam_loop

adam_done:
	VZEROUPPER
	RET
