#include "textflag.h"

// FOLD folds the 128 bits in X by the constant pair in K (X = X.lo·K.lo ⊕
// X.hi·K.hi, carry-less), using T as scratch.
#define FOLD(X, K, T) \
	MOVOA     X, T;     \
	PCLMULQDQ $0x00, K, X; \
	PCLMULQDQ $0x11, K, T; \
	PXOR      T, X

// FOLDIN folds lane X forward by 1024 bits and XORs in the next 16 bytes.
#define FOLDIN(X, off) \
	FOLD(X, X8, X9);      \
	MOVOU off(SI), X10;   \
	PXOR  X10, X

// func foldCLMUL(raw uint64, p []byte, k *[16]uint64) (lo, hi uint64)
TEXT ·foldCLMUL(SB), NOSPLIT, $0-56
	MOVQ raw+0(FP), AX
	MOVQ p_base+8(FP), SI
	MOVQ p_len+16(FP), CX
	MOVQ k+32(FP), DI

	// Eight lanes of 16 bytes; the CRC register goes into the first 8.
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVOU 64(SI), X4
	MOVOU 80(SI), X5
	MOVOU 96(SI), X6
	MOVOU 112(SI), X7
	MOVQ  AX, X9
	PXOR  X9, X0
	ADDQ  $128, SI
	SUBQ  $128, CX

	// x^1087, x^1023: each lane moves forward by 8 lanes.
	MOVOU 112(DI), X8

loop:
	CMPQ CX, $128
	JB   reduce
	FOLDIN(X0, 0)
	FOLDIN(X1, 16)
	FOLDIN(X2, 32)
	FOLDIN(X3, 48)
	FOLDIN(X4, 64)
	FOLDIN(X5, 80)
	FOLDIN(X6, 96)
	FOLDIN(X7, 112)
	ADDQ $128, SI
	SUBQ $128, CX
	JMP  loop

reduce:
	// Lane i moves forward by 7−i lanes onto lane 7.
	MOVOU 96(DI), X8
	FOLD(X0, X8, X9)
	PXOR  X0, X7
	MOVOU 80(DI), X8
	FOLD(X1, X8, X9)
	PXOR  X1, X7
	MOVOU 64(DI), X8
	FOLD(X2, X8, X9)
	PXOR  X2, X7
	MOVOU 48(DI), X8
	FOLD(X3, X8, X9)
	PXOR  X3, X7
	MOVOU 32(DI), X8
	FOLD(X4, X8, X9)
	PXOR  X4, X7
	MOVOU 16(DI), X8
	FOLD(X5, X8, X9)
	PXOR  X5, X7
	MOVOU 0(DI), X8
	FOLD(X6, X8, X9)
	PXOR  X6, X7

	MOVQ   X7, AX
	MOVQ   AX, lo+40(FP)
	PSRLDQ $8, X7
	MOVQ   X7, AX
	MOVQ   AX, hi+48(FP)
	RET

// func cpuid1ecx() uint32
TEXT ·cpuid1ecx(SB), NOSPLIT, $0-4
	MOVL $1, AX
	XORL CX, CX
	CPUID
	MOVL CX, ret+0(FP)
	RET
