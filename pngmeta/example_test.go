package pngmeta_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"

	"sumi/pngmeta"
)

func ExampleEncode() {
	var buf bytes.Buffer
	prompt, _ := pngmeta.PythonJSON([]byte(`{"3":{"inputs":{"cfg":8.0,"seed":1}}}`))
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	pngmeta.Encode(&buf, img, png.DefaultCompression, []pngmeta.TextChunk{{Keyword: "prompt", Text: string(prompt)}})
	m, _ := pngmeta.ReadMap(&buf)
	fmt.Println(m["prompt"])
	// Output: {"3": {"inputs": {"cfg": 8.0, "seed": 1}}}
}
