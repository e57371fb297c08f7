#include "textflag.h"

// FOLD folds the 128 bits in X by the constant pair in K (X = X.lo·K.lo ⊕
// X.hi·K.hi, carry-less), using T as scratch: as PCLMULQDQ $0x00 and $0x11
// in crc64ecma_amd64.s.
#define FOLD(X, K, T) \
	VPMULL  K.D1, X.D1, T.Q1; \
	VPMULL2 K.D2, X.D2, X.Q1; \
	VEOR    T.B16, X.B16, X.B16

// func foldCLMUL(raw uint64, p []byte, k *[16]uint64) (lo, hi uint64)
TEXT ·foldCLMUL(SB), NOSPLIT, $0-56
	MOVD raw+0(FP), R0
	MOVD p_base+8(FP), R1
	MOVD p_len+16(FP), R2
	MOVD k+32(FP), R3

	// Eight lanes of 16 bytes; the CRC register goes into the first 8.
	VLD1.P 64(R1), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD1.P 64(R1), [V4.B16, V5.B16, V6.B16, V7.B16]
	VEOR   V9.B16, V9.B16, V9.B16
	VMOV   R0, V9.D[0]
	VEOR   V9.B16, V0.B16, V0.B16
	SUB    $128, R2

	// x^1087, x^1023: each lane moves forward by 8 lanes.
	ADD  $112, R3, R4
	VLD1 (R4), [V8.D2]

loop:
	CMP  $128, R2
	BLT  reduce
	VLD1.P 64(R1), [V16.B16, V17.B16, V18.B16, V19.B16]
	VLD1.P 64(R1), [V20.B16, V21.B16, V22.B16, V23.B16]
	FOLD(V0, V8, V9)
	FOLD(V1, V8, V10)
	FOLD(V2, V8, V11)
	FOLD(V3, V8, V12)
	FOLD(V4, V8, V13)
	FOLD(V5, V8, V14)
	FOLD(V6, V8, V15)
	FOLD(V7, V8, V9)
	VEOR V16.B16, V0.B16, V0.B16
	VEOR V17.B16, V1.B16, V1.B16
	VEOR V18.B16, V2.B16, V2.B16
	VEOR V19.B16, V3.B16, V3.B16
	VEOR V20.B16, V4.B16, V4.B16
	VEOR V21.B16, V5.B16, V5.B16
	VEOR V22.B16, V6.B16, V6.B16
	VEOR V23.B16, V7.B16, V7.B16
	SUB  $128, R2
	B    loop

reduce:
	// Lane i moves forward by 7−i lanes onto lane 7; pairs for d = 1…7
	// are at k[2(d−1)].
	VLD1.P 16(R3), [V31.D2] // d=1
	VLD1.P 16(R3), [V30.D2]
	VLD1.P 16(R3), [V29.D2]
	VLD1.P 16(R3), [V28.D2]
	VLD1.P 16(R3), [V27.D2]
	VLD1.P 16(R3), [V26.D2]
	VLD1.P 16(R3), [V25.D2] // d=7
	FOLD(V0, V25, V9)
	VEOR V0.B16, V7.B16, V7.B16
	FOLD(V1, V26, V9)
	VEOR V1.B16, V7.B16, V7.B16
	FOLD(V2, V27, V9)
	VEOR V2.B16, V7.B16, V7.B16
	FOLD(V3, V28, V9)
	VEOR V3.B16, V7.B16, V7.B16
	FOLD(V4, V29, V9)
	VEOR V4.B16, V7.B16, V7.B16
	FOLD(V5, V30, V9)
	VEOR V5.B16, V7.B16, V7.B16
	FOLD(V6, V31, V9)
	VEOR V6.B16, V7.B16, V7.B16

	VMOV V7.D[0], R0
	MOVD R0, lo+40(FP)
	VMOV V7.D[1], R0
	MOVD R0, hi+48(FP)
	RET
