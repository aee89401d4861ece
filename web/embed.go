// Package web holds sumi's browser editor: the built page (index.html and
// its assets) embedded into the binary. The sources are in src/ and are built
// with `make web` (npm ci && npm run build); the built files in dist/ are
// committed so a plain `go build` serves the editor without Node.js.
package web

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Assets returns the built editor rooted at its index.html.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub only fails for an invalid path, and "dist" is a constant.
		panic("web: " + err.Error())
	}
	return sub
}
