package nodes

import (
	"context"
	"fmt"
)

// RunFunc executes a node. It returns one value per declared output, in
// order; an output node may append one UI value (see SplitUI). It should
// return ctx.Err() promptly when ctx is cancelled (the executor also checks
// between nodes) and must not modify its inputs.
type RunFunc func(ctx context.Context, in Args, p Progress) ([]any, error)

// Output declares one output socket.
type Output struct {
	// Type is the data type (LATENT, IMAGE ...).
	Type Type
	// Name is the socket label; empty means the type name.
	Name string
	// IsList marks an OUTPUT_IS_LIST output.
	IsList bool
	// Tooltip is shown in the editor (output_tooltips).
	Tooltip string
}

// Spec declares a node type. Every consumer (/object_info, validation, UI
// workflow conversion, execution) derives what it needs from it.
type Spec struct {
	// Name is the class_type, unique in a registry.
	Name string
	// DisplayName is the editor title; empty means Name.
	DisplayName string
	// Category is the editor's menu path, e.g. "latent" or "image/upscaling".
	Category string
	// Description is shown in the editor ("" is written as "").
	Description string
	// PythonModule is reported in /object_info; empty means "nodes".
	PythonModule string
	// Inputs in declaration order (required ones usually first; /object_info
	// groups them by Kind keeping this order).
	Inputs []Input
	// Outputs in slot order.
	Outputs []Output
	// OutputNode marks nodes that are executed as targets (SaveImage, PreviewImage).
	OutputNode bool
	// Deprecated and Experimental are written to /object_info when set.
	Deprecated, Experimental bool
	// Run executes the node.
	Run RunFunc
	// IsChanged, when set, is called before each prompt with the node's
	// constant inputs; its result is part of the cache key, so a different
	// answer (e.g. a file hash) re-runs the node. An error means "changed".
	IsChanged func(in Args) (string, error)
	// NotIdempotent makes the node id part of the cache key, so the node is
	// never shared with a node of another id.
	NotIdempotent bool
	// Validate is a custom validator (ComfyUI's VALIDATE_INPUTS) called with
	// the constant inputs named in ValidateInputs; those inputs skip the range
	// and choice checks. A non-nil error fails each of them with
	// custom_validation_failed, its text as detail.
	Validate func(in Args) error
	// ValidateInputs names the inputs Validate takes.
	ValidateInputs []string
}

// Title is the display name, or Name when none is set.
func (s *Spec) Title() string {
	if s.DisplayName != "" {
		return s.DisplayName
	}
	return s.Name
}

// Input returns the declared input with that name (hidden ones included).
func (s *Spec) Input(name string) (*Input, bool) {
	for i := range s.Inputs {
		if s.Inputs[i].Name == name {
			return &s.Inputs[i], true
		}
	}
	return nil, false
}

// OutputName is the label of output slot i.
func (o Output) OutputName() string {
	if o.Name != "" {
		return o.Name
	}
	return string(o.Type)
}

// Widget is one entry of a node's editor widget list, i.e. one slot of a UI
// workflow's widgets_values.
type Widget struct {
	// Name is the input name, or the UI-only widget's name
	// (control_after_generate, control_filter_list, upload).
	Name string
	// UIOnly widgets are never sent to the API.
	UIOnly bool
}

// Widgets lists the editor widgets in creation order: every widget-typed
// input (required, then optional, in declaration order), each followed by
// its UI-only companions, as the ComfyUI frontend creates them.
func (s *Spec) Widgets() []Widget {
	var ws []Widget
	for _, kind := range []Kind{Required, Optional} {
		for _, in := range s.Inputs {
			if in.Kind != kind || !in.IsWidget() {
				continue
			}
			ws = append(ws, Widget{Name: in.Name})
			if in.Opts.ControlAfterGenerate {
				ws = append(ws, Widget{Name: "control_after_generate", UIOnly: true})
				if in.Type == TypeCombo {
					ws = append(ws, Widget{Name: "control_filter_list", UIOnly: true})
				}
			}
			if in.Opts.ImageUpload {
				ws = append(ws, Widget{Name: "upload", UIOnly: true})
			}
		}
	}
	return ws
}

// check reports what makes a spec unusable; Register panics with it.
func (s *Spec) check() error {
	if s.Name == "" {
		return fmt.Errorf("nodes: spec without a name")
	}
	if s.Run == nil {
		return fmt.Errorf("nodes: %s: no Run function", s.Name)
	}
	seen := map[string]bool{}
	for i, in := range s.Inputs {
		switch {
		case in.Name == "":
			return fmt.Errorf("nodes: %s: input %d has no name", s.Name, i)
		case seen[in.Name]:
			return fmt.Errorf("nodes: %s: input %q declared twice", s.Name, in.Name)
		case in.Type == "":
			return fmt.Errorf("nodes: %s: input %q has no type", s.Name, in.Name)
		case in.Type == TypeCombo && in.Choices == nil:
			return fmt.Errorf("nodes: %s: combo %q has no choices", s.Name, in.Name)
		}
		seen[in.Name] = true
	}
	for _, name := range s.ValidateInputs {
		if !seen[name] {
			return fmt.Errorf("nodes: %s: ValidateInputs names unknown input %q", s.Name, name)
		}
	}
	for i, o := range s.Outputs {
		if o.Type == "" {
			return fmt.Errorf("nodes: %s: output %d has no type", s.Name, i)
		}
	}
	return nil
}
