// Package nodes declares node types once: their inputs, outputs and Run
// function, the values they pass to each other, and the registry that the
// validator, the executor and /object_info all read.
//
// A node type is a Spec value. Inputs are built with the constructors Int,
// Float, String, Bool, Combo, Socket and Hidden and refined with chained
// options; everything ComfyUI's /object_info shows (defaults, ranges,
// tooltips, control_after_generate, image_upload ...) comes from them, so the
// editor's widgets, the UI->API converter's widget order, validation and the
// Args that Run receives cannot drift apart.
//
//	var emptyLatent = nodes.Spec{
//		Name: "EmptyLatentImage", DisplayName: "Empty Latent Image", Category: "latent",
//		Description: "Create a new batch of empty latent images to be denoised via sampling.",
//		Inputs: []nodes.Input{
//			nodes.Int("width", 512).Range(16, nodes.MaxResolution).Step(8).Tooltip("The width of the latent images in pixels."),
//			nodes.Int("height", 512).Range(16, nodes.MaxResolution).Step(8),
//			nodes.Int("batch_size", 1).Range(1, 4096),
//		},
//		Outputs: []nodes.Output{{Type: nodes.TypeLatent, Tooltip: "The empty latent image batch."}},
//		Run: func(ctx context.Context, in nodes.Args, p nodes.Progress) ([]any, error) {
//			w, h, b := int(in.Int("width")), int(in.Int("height")), int(in.Int("batch_size"))
//			return []any{nodes.Latent{Samples: tensor.New(b, 4, h/8, w/8)}}, nil
//		},
//	}
//
//	reg := nodes.NewRegistry()
//	reg.Register(emptyLatent) // panics on a duplicate or incomplete spec
//	info := reg.ObjectInfo()  // marshals to GET /object_info
//
// An output node (SaveImage, PreviewImage) reports what it shows in the
// editor by appending one UI value after its declared outputs:
//
//	return []any{nodes.UI{"images": []nodes.ImageRef{{Filename: f, Subfolder: "", Type: "output"}}}}, nil
//
// Values passed between nodes: IMAGE is a *tensor.Tensor [B,H,W,C] float32 in
// 0..1, MASK a *tensor.Tensor [B,H,W], LATENT a Latent. MODEL, CLIP, VAE,
// CONDITIONING and the like are opaque at this level (whatever the producing
// node returns). Values are shared through the output cache, so Run must never
// modify its inputs in place.
package nodes
