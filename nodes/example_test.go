package nodes_test

import (
	"context"
	"encoding/json"
	"fmt"

	"sumi/nodes"
	"sumi/tensor"
)

func ExampleRegistry() {
	reg := nodes.NewRegistry()
	reg.Register(nodes.Spec{
		Name: "EmptyLatentImage", DisplayName: "Empty Latent Image", Category: "latent",
		Inputs: []nodes.Input{
			nodes.Int("width", 512).Range(16, nodes.MaxResolution).Step(8),
			nodes.Int("height", 512).Range(16, nodes.MaxResolution).Step(8),
			nodes.Int("batch_size", 1).Range(1, 4096),
		},
		Outputs: []nodes.Output{{Type: nodes.TypeLatent}},
		Run: func(ctx context.Context, in nodes.Args, p nodes.Progress) ([]any, error) {
			w, h, b := int(in.Int("width")), int(in.Int("height")), int(in.Int("batch_size"))
			return []any{nodes.Latent{Samples: tensor.New(b, 4, h/8, w/8)}}, nil
		},
	})
	spec, _ := reg.Get("EmptyLatentImage")
	args := nodes.NewArgs("5", map[string]any{"width": int64(64), "height": int64(32), "batch_size": int64(2)}, nodes.HiddenValues{})
	out, _ := spec.Run(context.Background(), args, nodes.Discard)
	fmt.Println(out[0])
	b, _ := json.Marshal(spec.Info())
	fmt.Println(string(b)[:120])
	fmt.Println(spec.Widgets())
	// Output:
	// {'samples': tensor(shape=[2 4 4 8])}
	// {"input":{"required":{"width":["INT",{"default":512,"min":16,"max":16384,"step":8}],"height":["INT",{"default":512,"min"
	// [{width false} {height false} {batch_size false}]
}
