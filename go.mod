module sumi

go 1.26.8

require (
	github.com/gorilla/websocket v1.5.3
	github.com/tidwall/gjson v1.20.2
	github.com/yalue/onnxruntime_go v1.27.0
	go.etcd.io/bbolt v1.5.0
	golang.org/x/image v0.48.0
	golang.org/x/text v0.44.0
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.3.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

ignore (
	./web/node_modules
	./e2e/node_modules
)
