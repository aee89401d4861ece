package sampling_test

import (
	"context"
	"fmt"

	"sumi/sampling"
	"sumi/tensor"
)

// ExampleKSampler runs ComfyUI's KSampler with a stand-in network that
// predicts no noise: the model wrapper turns it into a denoiser, CFG mixes
// the two prompts, and the result comes back unscaled.
func ExampleKSampler() {
	net := sampling.NetworkFunc(func(_ context.Context, xIn *tensor.Tensor, t float64, conds []any) (*tensor.Tensor, error) {
		return tensor.New(xIn.Shape...), nil // ε = 0 for every prompt
	})
	model := &sampling.NetModel{Net: net, Sampling: sampling.NewDiscrete(false)}
	latent := sampling.Latent{Samples: tensor.New(1, 4, 8, 8)} // EmptyLatentImage 64×64
	steps := 0
	out, err := sampling.KSampler(context.Background(), model, 42, 20, 7.0, "dpmpp_2m", "karras",
		"positive prompt", "negative prompt", latent, 1.0,
		sampling.WithProgress(func(step, total int, x0 *tensor.Tensor) { steps = step }))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out, steps)
	// Output: tensor[1 4 8 8] 20
}
