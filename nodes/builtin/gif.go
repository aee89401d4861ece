package builtin

import (
	"bytes"
	"image"
	"image/draw"
	"image/gif"
)

// gifFrames decodes every frame of an animated GIF composited onto the
// canvas (frame disposal applied), the way Pillow's ImageSequence hands
// them to ComfyUI's LoadImage, which stacks them into one batch. ok is
// false when the data is not a multi-frame GIF.
func gifFrames(data []byte) (frames []image.Image, transparent bool, ok bool) {
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil || len(g.Image) < 2 {
		return nil, false, false
	}
	bounds := image.Rect(0, 0, g.Config.Width, g.Config.Height)
	if bounds.Empty() || int64(bounds.Dx())*int64(bounds.Dy())*int64(len(g.Image)) > maxElements/4 {
		return nil, false, false
	}
	canvas := image.NewNRGBA(bounds)
	for i, fr := range g.Image {
		transparent = transparent || paletteHasAlpha(fr)
		var saved *image.NRGBA
		if i < len(g.Disposal) && g.Disposal[i] == gif.DisposalPrevious {
			saved = image.NewNRGBA(bounds)
			copy(saved.Pix, canvas.Pix)
		}
		draw.Draw(canvas, fr.Bounds(), fr, fr.Bounds().Min, draw.Over)
		out := image.NewNRGBA(bounds)
		copy(out.Pix, canvas.Pix)
		frames = append(frames, out)
		switch {
		case saved != nil:
			canvas = saved
		case i < len(g.Disposal) && g.Disposal[i] == gif.DisposalBackground:
			draw.Draw(canvas, fr.Bounds(), image.Transparent, image.Point{}, draw.Src)
		}
	}
	return frames, transparent, true
}
