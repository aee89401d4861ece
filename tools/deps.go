//go:build tools

// Package tools pins the project's named dependencies in go.mod before every
// package that uses them exists; it is never built.
package tools

import (
	_ "github.com/gorilla/websocket"
	_ "github.com/tidwall/gjson"
	_ "github.com/yalue/onnxruntime_go"
	_ "go.etcd.io/bbolt"
	_ "golang.org/x/image/draw"
	_ "google.golang.org/protobuf/encoding/protowire"
)
