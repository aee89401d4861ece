package modelnodes

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"sumi/model/sdxl"
	"sumi/nodes"
	"sumi/tensor"
	"sumi/tokenizer"
)

// sharedTokenizer is built once; it is safe for concurrent use.
var sharedTokenizer = sync.OnceValue(tokenizer.New)

func conditioningSpecs(env Env) []nodes.Spec {
	cond := func(name string) nodes.Input { return nodes.Socket(name, nodes.TypeConditioning) }
	out := []nodes.Output{{Type: nodes.TypeConditioning}}
	return []nodes.Spec{
		{
			Name: "CLIPTextEncode", DisplayName: "CLIP Text Encode (Prompt)", Category: "conditioning",
			Description: "Encodes a text prompt using a CLIP model into an embedding that can be used to guide the diffusion model towards generating specific images.",
			Inputs: []nodes.Input{
				nodes.String("text", "").Multiline().DynamicPrompts().Tooltip("The text to be encoded."),
				nodes.Socket("clip", nodes.TypeClip).Tooltip("The CLIP model used for encoding the text."),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeConditioning,
				Tooltip: "A conditioning containing the embedded text used to guide the diffusion model."}},
			Run: env.encodeText,
		},
		{
			Name: "CLIPSetLastLayer", DisplayName: "CLIP Set Last Layer", Category: "conditioning",
			Inputs: []nodes.Input{
				nodes.Socket("clip", nodes.TypeClip),
				nodes.Int("stop_at_clip_layer", -1).Range(-24, -1).Step(1),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeClip}},
			Run: func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
				c, err := nodes.Get[*CLIP](in, "clip")
				if err != nil {
					return nil, err
				}
				out := *c
				out.LastLayer = int(in.Int("stop_at_clip_layer"))
				return []any{&out}, nil
			},
		},
		{
			Name: "ConditioningCombine", DisplayName: "Conditioning (Combine)", Category: "conditioning",
			Inputs: []nodes.Input{cond("conditioning_1"), cond("conditioning_2")}, Outputs: out,
			Run: func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
				a, b, err := twoConds(in, "conditioning_1", "conditioning_2")
				if err != nil {
					return nil, err
				}
				return []any{append(append(Conditioning{}, a...), b...)}, nil
			},
		},
		{
			Name: "ConditioningConcat", DisplayName: "Conditioning (Concat)", Category: "conditioning",
			Inputs: []nodes.Input{cond("conditioning_to"), cond("conditioning_from")}, Outputs: out,
			Run: func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
				to, from, err := twoConds(in, "conditioning_to", "conditioning_from")
				if err != nil {
					return nil, err
				}
				c, err := concatConds(env, to, from)
				return []any{c}, err
			},
		},
		{
			Name: "ConditioningZeroOut", Category: "advanced/conditioning",
			Inputs: []nodes.Input{cond("conditioning")}, Outputs: out,
			Run: func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
				c, err := nodes.Get[Conditioning](in, "conditioning")
				if err != nil {
					return nil, err
				}
				return []any{zeroOut(c)}, nil
			},
		},
		{
			Name: "ConditioningSetArea", DisplayName: "Conditioning (Set Area)", Category: "conditioning",
			Inputs: []nodes.Input{
				cond("conditioning"),
				nodes.Int("width", 64).Range(64, nodes.MaxResolution).Step(8),
				nodes.Int("height", 64).Range(64, nodes.MaxResolution).Step(8),
				nodes.Int("x", 0).Range(0, nodes.MaxResolution).Step(8),
				nodes.Int("y", 0).Range(0, nodes.MaxResolution).Step(8),
				nodes.Float("strength", 1.0).Range(0, 10).Step(0.01),
			},
			Outputs: out,
			Run: func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
				c, err := nodes.Get[Conditioning](in, "conditioning")
				if err != nil {
					return nil, err
				}
				a := Area{H: int(in.Int("height")) / 8, W: int(in.Int("width")) / 8,
					Y: int(in.Int("y")) / 8, X: int(in.Int("x")) / 8}
				out := make(Conditioning, len(c))
				for i, e := range c {
					e.Area, e.Strength = &a, in.Float("strength")
					out[i] = e
				}
				return []any{out}, nil
			},
		},
	}
}

func twoConds(in nodes.Args, a, b string) (Conditioning, Conditioning, error) {
	x, err := nodes.Get[Conditioning](in, a)
	if err != nil {
		return nil, nil, err
	}
	y, err := nodes.Get[Conditioning](in, b)
	return x, y, err
}

// encodeText is CLIPTextEncode: ComfyUI's tokenization (weights,
// embeddings, 77-token chunks) then the text encoders.
func (env Env) encodeText(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
	c, err := nodes.Get[*CLIP](in, "clip")
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("modelnodes: clip input is invalid: None\n\nIf the clip is from a checkpoint loader node your checkpoint does not contain a valid clip or text encoder model")
	}
	opts := tokenizer.Options{Warn: env.warn, Embeddings: env.embeddingLookup()}
	toks, err := sharedTokenizer().SDXL(in.String("text"), opts)
	if err != nil {
		return nil, fmt.Errorf("modelnodes: %w", err)
	}
	enc, err := c.encoder()
	if err != nil {
		return nil, err
	}
	if l := enc.Config.CLIPL; l != nil {
		toks.L = dropMismatched(toks.L, l.HiddenSize, tokenizer.EndID, env.warn)
	}
	if g := enc.Config.CLIPG; g != nil {
		toks.G = dropMismatched(toks.G, g.HiddenSize, 0, env.warn)
	}
	cross, pooled, err := enc.EncodeText(ctx, toks, sdxl.TextOptions{LastLayer: c.LastLayer})
	if err != nil {
		return nil, err
	}
	return []any{Conditioning{newCond(cross, pooled)}}, nil
}

// concatConds appends the first entry of from to every entry of to along
// the token axis, keeping to's pooled output and options.
func concatConds(env Env, to, from Conditioning) (Conditioning, error) {
	if len(from) == 0 {
		return nil, errors.New("modelnodes: conditioning_from is empty")
	}
	if len(from) > 1 {
		env.warn("ConditioningConcat conditioning_from contains more than 1 cond, only the first one will actually be applied to conditioning_to")
	}
	src := from[0].Cross
	out := make(Conditioning, len(to))
	for i, e := range to {
		a := e.Cross
		if len(a.Shape) != 3 || len(src.Shape) != 3 || a.Shape[0] != src.Shape[0] || a.Shape[2] != src.Shape[2] {
			return nil, fmt.Errorf("modelnodes: cannot concat conditioning %v with %v", a.Shape, src.Shape)
		}
		b, ta, tb, d := a.Shape[0], a.Shape[1], src.Shape[1], a.Shape[2]
		c := tensor.New(b, ta+tb, d)
		for k := 0; k < b; k++ {
			copy(c.Data[k*(ta+tb)*d:], a.Data[k*ta*d:(k+1)*ta*d])
			copy(c.Data[(k*(ta+tb)+ta)*d:], src.Data[k*tb*d:(k+1)*tb*d])
		}
		e.Cross = c
		out[i] = e
	}
	return out, nil
}

// zeroOut is ConditioningZeroOut: zero context and zero pooled output.
func zeroOut(c Conditioning) Conditioning {
	out := make(Conditioning, len(c))
	for i, e := range c {
		e.Cross = tensor.New(e.Cross.Shape...)
		if e.Pooled != nil {
			e.Pooled = tensor.New(e.Pooled.Shape...)
		}
		out[i] = e
	}
	return out
}
