package nodes

// Kind says where an input is listed in /object_info: required, optional or hidden.
type Kind int

// Input kinds, in /object_info order.
const (
	Required Kind = iota
	Optional
	HiddenInput
)

// String is the /object_info key of the kind.
func (k Kind) String() string {
	switch k {
	case Optional:
		return "optional"
	case HiddenInput:
		return "hidden"
	}
	return "required"
}

// HiddenKind names a value the executor supplies to a hidden input.
type HiddenKind string

// The hidden values ComfyUI provides.
const (
	HiddenPrompt       HiddenKind = "PROMPT"        // the whole validated API prompt
	HiddenExtraPNGInfo HiddenKind = "EXTRA_PNGINFO" // extra_data.extra_pnginfo (or null)
	HiddenUniqueID     HiddenKind = "UNIQUE_ID"     // the node's id
	HiddenDynPrompt    HiddenKind = "DYNPROMPT"     // accepted for compatibility; supplied as PROMPT
)

// Input declares one input of a node type. Build it with Int, Float, String,
// Bool, Combo, ComboOf, Socket or Hidden and refine it with the chained
// option methods, which return modified copies.
type Input struct {
	// Name is the key in the API prompt's "inputs" object.
	Name string
	// Type is the data type; COMBO for inputs with a list of choices.
	Type Type
	// Kind is required (the default), optional or hidden.
	Kind Kind
	// Hidden is the supplied value for hidden inputs.
	Hidden HiddenKind
	// Choices lists a COMBO's allowed values. It is called whenever they are
	// needed (/object_info, validation), so file listings stay current.
	Choices func() []string
	// Opts are the options shown in /object_info (the second element of the
	// input spec).
	Opts Options
}

// Options are an input's /object_info options. Nil pointers and zero values
// are left out of the JSON.
type Options struct {
	Default              any
	Min, Max             *float64
	Step, Round          *float64
	Multiline            *bool
	DynamicPrompts       bool
	ControlAfterGenerate bool
	ImageUpload          bool
	ForceInput           bool
	Lazy                 bool
	Display              string
	Placeholder          string
	Tooltip              string
	// Extra holds further options, written after the known ones in order.
	Extra []Option
}

// Option is one extra key of an input's /object_info options.
type Option struct {
	Key   string
	Value any
}

// Int declares a required INT input with a default.
func Int(name string, def int64) Input {
	return Input{Name: name, Type: TypeInt, Opts: Options{Default: def}}
}

// Float declares a required FLOAT input with a default.
func Float(name string, def float64) Input {
	return Input{Name: name, Type: TypeFloat, Opts: Options{Default: def}}
}

// String declares a required STRING input with a default; "" means no default.
func String(name, def string) Input {
	in := Input{Name: name, Type: TypeString}
	if def != "" {
		in.Opts.Default = def
	}
	return in
}

// Bool declares a required BOOLEAN input with a default.
func Bool(name string, def bool) Input {
	return Input{Name: name, Type: TypeBool, Opts: Options{Default: def}}
}

// Combo declares a required COMBO input whose choices are computed at call
// time (sampler names, files in a model folder).
func Combo(name string, choices func() []string) Input {
	return Input{Name: name, Type: TypeCombo, Choices: choices}
}

// ComboOf declares a required COMBO input with a fixed list of choices.
func ComboOf(name string, choices ...string) Input {
	list := append([]string(nil), choices...)
	return Combo(name, func() []string { return list })
}

// Socket declares a required input of a link-only type (MODEL, LATENT, IMAGE ...).
func Socket(name string, t Type) Input {
	return Input{Name: name, Type: t}
}

// Hidden declares a hidden input that the executor fills (see HiddenKind).
func Hidden(name string, h HiddenKind) Input {
	return Input{Name: name, Type: Type(h), Kind: HiddenInput, Hidden: h}
}

// Optional moves the input to the optional section.
func (in Input) Optional() Input { in.Kind = Optional; return in }

// Default sets the default value (shown by /object_info and the editor only;
// a missing required input is still an error).
func (in Input) Default(v any) Input { in.Opts.Default = v; return in }

// Range sets min and max. For INT inputs MaxSeed is written as 2^64-1.
func (in Input) Range(min, max float64) Input {
	in.Opts.Min, in.Opts.Max = &min, &max
	return in
}

// Min sets only the minimum.
func (in Input) Min(v float64) Input { in.Opts.Min = &v; return in }

// Max sets only the maximum.
func (in Input) Max(v float64) Input { in.Opts.Max = &v; return in }

// Step sets the editor's step (not enforced by validation, as in ComfyUI).
func (in Input) Step(v float64) Input { in.Opts.Step = &v; return in }

// Round sets the editor's rounding precision for FLOAT widgets.
func (in Input) Round(v float64) Input { in.Opts.Round = &v; return in }

// Multiline makes a STRING widget a text area ("multiline": true).
func (in Input) Multiline() Input { t := true; in.Opts.Multiline = &t; return in }

// SingleLine writes "multiline": false explicitly, as some nodes do.
func (in Input) SingleLine() Input { f := false; in.Opts.Multiline = &f; return in }

// DynamicPrompts sets "dynamicPrompts": true (the editor expands {a|b}).
func (in Input) DynamicPrompts() Input { in.Opts.DynamicPrompts = true; return in }

// ControlAfterGenerate adds the editor's seed control widget (fixed,
// increment, decrement, randomize) after this one; it occupies a slot in a
// UI workflow's widgets_values but is never sent to the API.
func (in Input) ControlAfterGenerate() Input { in.Opts.ControlAfterGenerate = true; return in }

// ImageUpload adds the editor's upload button after this COMBO
// ("image_upload": true); like the seed control it is UI-only.
func (in Input) ImageUpload() Input { in.Opts.ImageUpload = true; return in }

// ForceInput shows a widget-typed input as a socket only: it then has no
// widget and no widgets_values slot.
func (in Input) ForceInput() Input { in.Opts.ForceInput = true; return in }

// Lazy marks the input as lazily evaluated ("lazy": true).
func (in Input) Lazy() Input { in.Opts.Lazy = true; return in }

// Tooltip sets the editor tooltip.
func (in Input) Tooltip(s string) Input { in.Opts.Tooltip = s; return in }

// Display sets the widget display hint ("number", "slider", "color").
func (in Input) Display(s string) Input { in.Opts.Display = s; return in }

// Placeholder sets a STRING widget's placeholder text.
func (in Input) Placeholder(s string) Input { in.Opts.Placeholder = s; return in }

// Option adds any other /object_info option.
func (in Input) Option(key string, v any) Input {
	in.Opts.Extra = append(append([]Option(nil), in.Opts.Extra...), Option{key, v})
	return in
}

// IsWidget reports whether the editor shows this input as a widget (and so
// it has a slot in widgets_values).
func (in Input) IsWidget() bool {
	return in.Kind != HiddenInput && in.Type.IsWidget() && !in.Opts.ForceInput
}

// ChoiceList returns the current COMBO choices (nil for other types).
func (in Input) ChoiceList() []string {
	if in.Choices == nil {
		return nil
	}
	return in.Choices()
}
