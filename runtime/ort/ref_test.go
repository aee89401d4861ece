package ort_test

import "math"

// Plain float64 references for the operator tests, written from the torch
// definitions (sdxl.md conventions: Linear weight [out,in], NCHW).

// linearRef is y = x·wᵀ + b for x [m,k], w [n,k]; b may be nil.
func linearRef(x []float64, m, k int, w []float64, n int, b []float64) []float64 {
	y := make([]float64, m*n)
	for i := range m {
		for j := range n {
			s := 0.0
			for p := range k {
				s += x[i*k+p] * w[j*k+p]
			}
			if b != nil {
				s += b[j]
			}
			y[i*n+j] = s
		}
	}
	return y
}

// matmulRef is x·w for x [m,k], w [k,n].
func matmulRef(x []float64, m, k int, w []float64, n int) []float64 {
	y := make([]float64, m*n)
	for i := range m {
		for j := range n {
			for p := range k {
				y[i*n+j] += x[i*k+p] * w[p*n+j]
			}
		}
	}
	return y
}

type convShape struct{ b, c, h, w, o, k, stride, pad int }

func (s convShape) outHW() (int, int) {
	return (s.h+2*s.pad-s.k)/s.stride + 1, (s.w+2*s.pad-s.k)/s.stride + 1
}

// convRef is a direct 2-D convolution with symmetric zero padding.
func convRef(x []float64, s convShape, w, bias []float64) []float64 {
	oh, ow := s.outHW()
	y := make([]float64, s.b*s.o*oh*ow)
	for n := range s.b {
		for o := range s.o {
			for i := range oh {
				for j := range ow {
					acc := bias[o]
					for c := range s.c {
						for ki := range s.k {
							for kj := range s.k {
								yi, xj := i*s.stride+ki-s.pad, j*s.stride+kj-s.pad
								if yi < 0 || yi >= s.h || xj < 0 || xj >= s.w {
									continue
								}
								acc += x[((n*s.c+c)*s.h+yi)*s.w+xj] * w[((o*s.c+c)*s.k+ki)*s.k+kj]
							}
						}
					}
					y[((n*s.o+o)*oh+i)*ow+j] = acc
				}
			}
		}
	}
	return y
}

// groupNormRef is torch.group_norm on [b,c,hw] with biased variance.
func groupNormRef(x []float64, b, c, hw, groups int, gamma, beta []float64, eps float64) []float64 {
	y := make([]float64, len(x))
	per := c / groups * hw
	for n := range b {
		for g := range groups {
			base := (n*c + g*(c/groups)) * hw
			seg := x[base : base+per]
			mean, variance := meanVar(seg)
			for i, v := range seg {
				ch := g*(c/groups) + i/hw
				y[base+i] = (v-mean)/math.Sqrt(variance+eps)*gamma[ch] + beta[ch]
			}
		}
	}
	return y
}

func meanVar(v []float64) (float64, float64) {
	var mean, variance float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(v))
}

// layerNormRef normalises rows of length d.
func layerNormRef(x []float64, d int, gamma, beta []float64, eps float64) []float64 {
	y := make([]float64, len(x))
	for r := 0; r < len(x); r += d {
		mean, variance := meanVar(x[r : r+d])
		for i := range d {
			y[r+i] = (x[r+i]-mean)/math.Sqrt(variance+eps)*gamma[i] + beta[i]
		}
	}
	return y
}

// softmaxRef is a softmax over rows of length d.
func softmaxRef(x []float64, d int) []float64 {
	y := make([]float64, len(x))
	for r := 0; r < len(x); r += d {
		mx := math.Inf(-1)
		for _, v := range x[r : r+d] {
			mx = math.Max(mx, v)
		}
		sum := 0.0
		for i := range d {
			y[r+i] = math.Exp(x[r+i] - mx)
			sum += y[r+i]
		}
		for i := range d {
			y[r+i] /= sum
		}
	}
	return y
}

// attentionRef is softmax(q·kᵀ/√d)·v per head; q [b,lq,h·d], k,v [b,lk,h·d].
func attentionRef(q, k, v []float64, b, lq, lk, heads, d int) []float64 {
	w := heads * d
	out := make([]float64, b*lq*w)
	scores := make([]float64, lk)
	for n := range b {
		for h := range heads {
			for i := range lq {
				for j := range lk {
					s := 0.0
					for p := range d {
						s += q[(n*lq+i)*w+h*d+p] * k[(n*lk+j)*w+h*d+p]
					}
					scores[j] = s / math.Sqrt(float64(d))
				}
				p := softmaxRef(scores, lk)
				for c := range d {
					acc := 0.0
					for j := range lk {
						acc += p[j] * v[(n*lk+j)*w+h*d+c]
					}
					out[(n*lq+i)*w+h*d+c] = acc
				}
			}
		}
	}
	return out
}

func mapRef(x []float64, f func(float64) float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = f(v)
	}
	return y
}

func geluRef(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func geluTanhRef(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
}

func quickGeluRef(x float64) float64 { return x / (1 + math.Exp(-1.702*x)) }

// nearestRef is F.interpolate(scale_factor=s, mode="nearest") on [b,c,h,w].
func nearestRef(x []float64, bc, h, w, s int) []float64 {
	y := make([]float64, bc*h*s*w*s)
	for n := range bc {
		for i := range h * s {
			for j := range w * s {
				y[(n*h*s+i)*w*s+j] = x[(n*h+i/s)*w+j/s]
			}
		}
	}
	return y
}
