package api

import (
	"encoding/binary"
	"encoding/json"
)

// Binary frame event types: every binary frame starts with one, big-endian.
const (
	BinaryPreviewImage             = 1
	BinaryText                     = 3
	BinaryPreviewImageWithMetadata = 4
)

// Image formats of a type-1 preview frame.
const (
	ImageJPEG = 1
	ImagePNG  = 2
)

// PreviewMetadata is the JSON header of a type-4 frame.
type PreviewMetadata struct {
	NodeID        string  `json:"node_id"`
	PromptID      string  `json:"prompt_id"`
	DisplayNodeID string  `json:"display_node_id"`
	ParentNodeID  *string `json:"parent_node_id"`
	RealNodeID    string  `json:"real_node_id"`
	ImageType     string  `json:"image_type"`
}

// PreviewFrame encodes a type-1 frame: format (ImageJPEG or ImagePNG) then
// the encoded image.
func PreviewFrame(format uint32, img []byte) []byte {
	b := make([]byte, 8, 8+len(img))
	binary.BigEndian.PutUint32(b, BinaryPreviewImage)
	binary.BigEndian.PutUint32(b[4:], format)
	return append(b, img...)
}

// PreviewFrameWithMetadata encodes a type-4 frame.
func PreviewFrameWithMetadata(meta PreviewMetadata, img []byte) []byte {
	js, _ := json.Marshal(meta) // plain strings: cannot fail
	b := make([]byte, 8, 8+len(js)+len(img))
	binary.BigEndian.PutUint32(b, BinaryPreviewImageWithMetadata)
	binary.BigEndian.PutUint32(b[4:], uint32(len(js)))
	return append(append(b, js...), img...)
}

// TextFrame encodes a type-3 frame: node id length, node id, text.
func TextFrame(nodeID, text string) []byte {
	b := make([]byte, 8, 8+len(nodeID)+len(text))
	binary.BigEndian.PutUint32(b, BinaryText)
	binary.BigEndian.PutUint32(b[4:], uint32(len(nodeID)))
	return append(append(b, nodeID...), text...)
}

// MimeOfFormat returns the image_type string of a preview format.
func MimeOfFormat(format uint32) string {
	if format == ImagePNG {
		return "image/png"
	}
	return "image/jpeg"
}
