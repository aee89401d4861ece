package sampling

import (
	"context"
	"math"

	"sumi/tensor"
)

func init() {
	samplers["euler"] = sampleEuler
	samplers["ddim"] = sampleEuler // differs only in how KSampler noises inpainting
	samplers["euler_ancestral"] = sampleEulerAncestral
	samplers["heun"] = sampleHeun
	samplers["heunpp2"] = sampleHeunpp2
	samplers["dpm_2"] = sampleDPM2
	samplers["dpm_2_ancestral"] = sampleDPM2Ancestral
	samplers["lcm"] = sampleLCM
	samplers["ddpm"] = sampleDDPM
}

func sampleEuler(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	sig := p.Sigmas
	return newStepper(ctx, p).loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		return eulerTo(x, den, sig[i], sig[i+1]), nil
	})
}

func sampleEulerAncestral(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	const eta, sNoise = 1.0, 1.0
	s := newStepper(ctx, p)
	sig := p.Sigmas
	return s.loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		down, up := ancestralStep(sig[i], sig[i+1], eta)
		if down == 0 {
			return den, nil
		}
		// Step and noise in one sum: eulerTo then addNoise would round twice.
		d := toD(x, den, sig[i])
		return lc(t_(1, x), t_(down-sig[i], d), t_(sNoise*up, s.noise(sig[i], sig[i+1]))), nil
	})
}

func sampleHeun(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	s := newStepper(ctx, p)
	sig := p.Sigmas
	return s.loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		d := toD(x, den, sig[i])
		dt := sig[i+1] - sig[i]
		x2 := lc(t_(1, x), t_(dt, d))
		if sig[i+1] == 0 {
			return x2, nil
		}
		d2, err := s.slope(x2, sig[i+1])
		if err != nil {
			return nil, err
		}
		return lc(t_(1, x), t_(dt/2, d), t_(dt/2, d2)), nil
	})
}

// sampleHeunpp2 is Heun's method with up to three stages weighted by the
// noise levels (compared exactly with the schedule's last entry).
func sampleHeunpp2(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	s := newStepper(ctx, p)
	sig := p.Sigmas
	if len(sig) == 0 {
		return x, nil
	}
	end := sig[len(sig)-1]
	return s.loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		d := toD(x, den, sig[i])
		dt := sig[i+1] - sig[i]
		x2 := lc(t_(1, x), t_(dt, d))
		if sig[i+1] == end {
			return x2, nil
		}
		d2, err := s.slope(x2, sig[i+1])
		if err != nil {
			return nil, err
		}
		if sig[i+2] == end {
			w2 := sig[i+1] / (2 * sig[0])
			return lc(t_(1, x), t_((1-w2)*dt, d), t_(w2*dt, d2)), nil
		}
		d3, err := s.slope(lc(t_(1, x2), t_(sig[i+2]-sig[i+1], d2)), sig[i+2])
		if err != nil {
			return nil, err
		}
		w2 := sig[i+1] / (3 * sig[0])
		w3 := sig[i+2] / (3 * sig[0])
		return lc(t_(1, x), t_((1-w2-w3)*dt, d), t_(w2*dt, d2), t_(w3*dt, d3)), nil
	})
}

// logMid is exp(lerp(ln a, ln b, 1/2)), the geometric midpoint of DPM-2.
func logMid(a, b float64) float64 { return math.Exp(lerp(math.Log(a), math.Log(b), 0.5)) }

// dpm2To is DPM-2's step from sigma to next: the slope at the geometric
// midpoint, reached by Euler, carries x the whole way (Euler when next = 0).
func (s *stepper) dpm2To(x, den *tensor.Tensor, sigma, next float64) (*tensor.Tensor, error) {
	d := toD(x, den, sigma)
	if next == 0 {
		return lc(t_(1, x), t_(next-sigma, d)), nil
	}
	mid := logMid(sigma, next)
	d2, err := s.slope(lc(t_(1, x), t_(mid-sigma, d)), mid)
	if err != nil {
		return nil, err
	}
	return lc(t_(1, x), t_(next-sigma, d2)), nil
}

func sampleDPM2(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	s := newStepper(ctx, p)
	sig := p.Sigmas
	return s.loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		return s.dpm2To(x, den, sig[i], sig[i+1])
	})
}

func sampleDPM2Ancestral(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	const eta, sNoise = 1.0, 1.0
	s := newStepper(ctx, p)
	sig := p.Sigmas
	return s.loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		down, up := ancestralStep(sig[i], sig[i+1], eta)
		x, err := s.dpm2To(x, den, sig[i], down)
		if err != nil || down == 0 {
			return x, err
		}
		return s.addNoise(x, i, sNoise*up), nil
	})
}

func sampleLCM(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	s := newStepper(ctx, p)
	sig := p.Sigmas
	return s.loop(x, func(i int, _, den *tensor.Tensor) (*tensor.Tensor, error) {
		if sig[i+1] > 0 {
			return lc(t_(sig[i+1], s.noise(sig[i], sig[i+1])), t_(1, den)), nil
		}
		return den, nil
	})
}

// sampleDDPM is the DDPM ancestral update in the variance-preserving frame.
func sampleDDPM(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	s := newStepper(ctx, p)
	sig := p.Sigmas
	return s.loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		sg, sn := sig[i], sig[i+1]
		eps := toD(x, den, sg)
		ab := 1 / (sg*sg + 1)
		abn := 1 / (sn*sn + 1)
		a := ab / abn
		k := math.Sqrt(1 / a)
		mu := lc(t_(k/math.Sqrt(1+sg*sg), x), t_(-k*(1-a)/math.Sqrt(1-ab), eps))
		if sn > 0 {
			mu = lc(t_(1, mu), t_(math.Sqrt((1-a)*(1-abn)/(1-ab)), s.noise(sg, sn)))
		}
		if sn != 0 {
			return lc(t_(math.Sqrt(1+sn*sn), mu)), nil
		}
		return mu, nil
	})
}
