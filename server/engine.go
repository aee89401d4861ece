package server

import (
	"encoding/json"
	"errors"
	"fmt"

	"sumi/api"
	"sumi/graph"
	"sumi/nodes"
)

// RegistryEngine is the Engine of a node registry: /object_info from the
// specs, validation by the graph package.
type RegistryEngine struct {
	Registry *nodes.Registry
}

var _ Engine = (*RegistryEngine)(nil)

// ObjectInfo implements Engine.
func (e *RegistryEngine) ObjectInfo() json.Marshaler { return e.Registry.ObjectInfo() }

// NodeInfo implements Engine.
func (e *RegistryEngine) NodeInfo(class string) (json.Marshaler, bool) {
	spec, ok := e.Registry.Get(class)
	if !ok {
		return nil, false
	}
	return spec.Info(), true
}

// Validate implements Engine.
func (e *RegistryEngine) Validate(raw json.RawMessage, targets []string) (Validated, *api.PromptError) {
	p, err := graph.ParsePrompt(raw)
	if err != nil {
		return Validated{}, api.NewPromptError("invalid_prompt", "server: "+err.Error(), "")
	}
	res, err := graph.Validate(p, e.Registry, targets)
	if err != nil {
		return Validated{}, toPromptError(err)
	}
	body, err := json.Marshal(res.Prompt)
	if err != nil {
		return Validated{}, api.NewPromptError("invalid_prompt", "server: encode prompt: "+err.Error(), "")
	}
	var ne api.NodeErrors
	if len(res.NodeErrors) > 0 {
		if err := roundTrip(res.NodeErrors, &ne); err != nil {
			return Validated{}, api.NewPromptError("invalid_prompt", "server: "+err.Error(), "")
		}
	}
	return Validated{Prompt: body, Outputs: res.Outputs, NodeErrors: ne}, nil
}

// toPromptError carries graph's error body over to the wire type.
func toPromptError(err error) *api.PromptError {
	var pe *graph.PromptError
	if !errors.As(err, &pe) {
		return api.NewPromptError("invalid_prompt", "server: "+err.Error(), "")
	}
	out := &api.PromptError{}
	if rerr := roundTrip(pe, out); rerr != nil {
		return api.NewPromptError("invalid_prompt", "server: "+err.Error(), "")
	}
	return out
}

func roundTrip(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return json.Unmarshal(b, out)
}
