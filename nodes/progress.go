package nodes

// Progress receives what a running node reports. The executor turns it into
// websocket progress messages and binary preview frames. Calls come from the
// node's goroutine; implementations must not block for long.
type Progress interface {
	// Update reports step value of max (value counts from 1 to max).
	Update(value, max int)
	// Preview shows an intermediate image (a sampler's latent preview).
	Preview(img Preview)
	// Text shows a line of progress text for the node.
	Text(s string)
}

// PreviewFormat is the encoding of a preview image.
type PreviewFormat string

// Preview formats as the websocket names them (binary frame format 1 and 2).
const (
	PreviewJPEG PreviewFormat = "JPEG"
	PreviewPNG  PreviewFormat = "PNG"
)

// Preview is an encoded preview image.
type Preview struct {
	Format PreviewFormat
	Data   []byte
}

// Discard is a Progress that ignores everything (tests, CLI without a bar).
var Discard Progress = discard{}

type discard struct{}

func (discard) Update(int, int) {}
func (discard) Preview(Preview) {}
func (discard) Text(string)     {}

// ProgressFuncs adapts plain functions to Progress; nil fields are ignored.
type ProgressFuncs struct {
	OnUpdate  func(value, max int)
	OnPreview func(Preview)
	OnText    func(string)
}

// Update calls OnUpdate.
func (p ProgressFuncs) Update(value, max int) {
	if p.OnUpdate != nil {
		p.OnUpdate(value, max)
	}
}

// Preview calls OnPreview.
func (p ProgressFuncs) Preview(img Preview) {
	if p.OnPreview != nil {
		p.OnPreview(img)
	}
}

// Text calls OnText.
func (p ProgressFuncs) Text(s string) {
	if p.OnText != nil {
		p.OnText(s)
	}
}
