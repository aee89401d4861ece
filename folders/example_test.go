package folders_test

import (
	"errors"
	"fmt"

	"sumi/folders"
)

func ExampleResolve() {
	p, err := folders.Resolve("/srv/comfy/input", "sub/cat.png")
	fmt.Println(p, err)
	_, err = folders.Resolve("/srv/comfy/input", "../output/x.png")
	fmt.Println(errors.Is(err, folders.ErrUnsafePath))
	// Output:
	// /srv/comfy/input/sub/cat.png <nil>
	// true
}

func ExampleParseAnnotated() {
	fmt.Println(folders.ParseAnnotated("ComfyUI_00001_.png [output]"))
	// Output: ComfyUI_00001_.png output
}
