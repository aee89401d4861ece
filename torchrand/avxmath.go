package torchrand

import "math"

// This file emulates, in portable Go, the float32 arithmetic of torch's AVX2
// normal kernel: Cephes-style log and sincos polynomials evaluated 8 lanes at
// a time, with the multiply-adds the compiler contracted into FMAs. Every
// float32 product is wrapped in an explicit float32 conversion so that no Go
// compiler may fuse it into an FMA of its own (the spec allows fusion of
// x*y+z on arm64, ppc64le and s390x unless the product is rounded).

// fma32 returns a*b+c rounded once to float32.
//
// The product of two float32 values is exact in float64, so only the sum can
// round; rounding it to float64 and then to float32 rounds twice, which is
// wrong only when the float64 sum lands exactly halfway between two float32
// values while the exact sum is not there. TwoSum gives the exact error of
// the float64 sum, and nudging the sum one float64 ulp toward it breaks the tie
// in the right direction.
func fma32(a, b, c float32) float32 {
	s := float64(a)*float64(b) + float64(c)
	if math.Float64bits(s)<<35 == 1<<63 {
		return fma32Tie(a, b, c)
	}
	return float32(s)
}

// fma32Tie is fma32 when the float64 sum is exactly halfway between two
// float32 values: TwoSum gives the exact error of that sum, and one float64
// ulp toward it breaks the tie in the right direction. It is kept out of
// line so that fma32 itself can be inlined.
//
//go:noinline
func fma32Tie(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	bb := s - p
	if e := (p - (s - bb)) + (float64(c) - bb); e != 0 {
		bits := math.Float64bits(s)
		// away from zero when e has the sign of s, else toward zero
		s = math.Float64frombits(bits + 1 - (math.Float64bits(e)^bits)>>63*2)
	}
	return float32(s)
}

// mul32 is a float32 product that is rounded before any further use.
func mul32(a, b float32) float32 { return float32(a * b) }

const sqrtHalf32 = float32(0.707106781186547524)

// avxLog is the natural log of x in (0, 1] with the Cephes polynomial of
// avx_mathfun.h as torch's AVX2 build evaluates it.
func avxLog(x float32) float32 {
	bits := math.Float32bits(x)
	e := float32(int32(bits>>23)-127) + 1
	m := math.Float32frombits(bits&^(0xff<<23) | math.Float32bits(0.5))
	if m < sqrtHalf32 {
		e--
		m = (m - 1) + m
	} else {
		m = m - 1
	}
	z := mul32(m, m)
	y := float32(7.0376836292e-2)
	y = fma32(y, m, -1.1514610310e-1)
	y = fma32(y, m, 1.1676998740e-1)
	y = fma32(y, m, -1.2420140846e-1)
	y = fma32(y, m, 1.4249322787e-1)
	y = fma32(y, m, -1.6668057665e-1)
	y = fma32(y, m, 2.0000714765e-1)
	y = fma32(y, m, -2.4999993993e-1)
	y = fma32(y, m, 3.3333331174e-1)
	y1 := mul32(y, m)
	y = fma32(y1, z, mul32(e, -2.12194440e-4))
	y = fma32(z, -0.5, y)
	m = m + y
	return fma32(e, 0.693359375, m)
}

// avxSincos returns sin(x) and cos(x) for x >= 0 with the Cephes sincos of
// avx_mathfun.h (three-part Cody–Waite reduction by pi/4, two polynomials).
func avxSincos(x float32) (sin, cos float32) {
	j := int32(mul32(x, 1.27323954473516))
	j = (j + 1) &^ 1
	y := float32(j)
	x = fma32(y, -0.78515625, x)
	x = fma32(y, -2.4187564849853515625e-4, x)
	x = fma32(y, -3.77489497744594108e-8, x)
	z := mul32(x, x)

	c := float32(2.443315711809948e-5)
	c = fma32(c, z, -1.388731625493765e-3)
	c = fma32(c, z, 4.166664568298827e-2)
	c1 := mul32(c, z)
	c = fma32(c1, z, -mul32(z, 0.5))
	c = c + 1

	s := float32(-1.9515295891e-4)
	s = fma32(s, z, 8.3321608736e-3)
	s = fma32(s, z, -1.6666654611e-1)
	s = mul32(s, z)
	s = fma32(s, x, x)

	if j&2 == 0 {
		sin, cos = s, c
	} else {
		sin, cos = c, s
	}
	if j&4 != 0 {
		sin = -sin
	}
	if (j-2)&4 == 0 {
		cos = -cos
	}
	return sin, cos
}

// twoPi32 is 2*pi rounded to float32, the constant the AVX2 kernel multiplies by.
const twoPi32 = float32(6.2831855)

// boxMuller16AVX transforms one block of 16 uniforms in place, pairing
// element j with j+8, with the AVX2 kernel's float32 arithmetic.
func boxMuller16AVX(d []float32) {
	_ = d[15]
	for j := 0; j < 8; j++ {
		r := float32(math.Sqrt(float64(mul32(-2, avxLog(1-d[j])))))
		theta := mul32(twoPi32, d[j+8])
		s, c := avxSincos(theta)
		d[j] = mul32(r, c)
		d[j+8] = mul32(r, s)
	}
}
