package api

import (
	"encoding/binary"
	"encoding/json"
	"testing"
)

func TestNumberMarshal(t *testing.T) {
	tests := []struct {
		n    Number
		want string
	}{{0, "0"}, {12, "12"}, {-3, "-3"}, {1.5, "1.5"}, {1e20, "1e+20"}}
	for _, tc := range tests {
		b, err := json.Marshal(tc.n)
		if err != nil || string(b) != tc.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", float64(tc.n), b, err, tc.want)
		}
	}
}

func TestQueueItemRoundTrip(t *testing.T) {
	in := `[3,"id",{"1":{"class_type":"X","inputs":{"seed":18446744073709551615}}},{"client_id":"c","create_time":1767800000000},["9"]]`
	var it QueueItem
	if err := json.Unmarshal([]byte(in), &it); err != nil {
		t.Fatal(err)
	}
	if it.ClientID() != "c" || it.ExtraData.CreateTime() != 1767800000000 || it.Number != 3 {
		t.Fatalf("decoded %+v", it)
	}
	out, _ := json.Marshal(it)
	if string(out) != in {
		t.Fatalf("round trip\n got %s\nwant %s", out, in)
	}
	if err := json.Unmarshal([]byte(`[1,"x"]`), &it); err == nil {
		t.Fatal("short item accepted")
	}
}

func TestBinaryFrames(t *testing.T) {
	img := []byte{0xff, 0xd8, 0xff}
	f1 := PreviewFrame(ImageJPEG, img)
	if binary.BigEndian.Uint32(f1) != 1 || binary.BigEndian.Uint32(f1[4:]) != ImageJPEG || string(f1[8:]) != string(img) {
		t.Fatalf("type 1 frame % x", f1)
	}
	f4 := PreviewFrameWithMetadata(PreviewMetadata{NodeID: "3", PromptID: "p", ImageType: "image/jpeg"}, img)
	n := binary.BigEndian.Uint32(f4[4:])
	var meta map[string]any
	if binary.BigEndian.Uint32(f4) != 4 || json.Unmarshal(f4[8:8+n], &meta) != nil || meta["node_id"] != "3" || string(f4[8+n:]) != string(img) {
		t.Fatalf("type 4 frame % x", f4)
	}
	if _, ok := meta["parent_node_id"]; !ok {
		t.Fatal("metadata lacks parent_node_id")
	}
	f3 := TextFrame("12", "hi")
	if binary.BigEndian.Uint32(f3) != 3 || binary.BigEndian.Uint32(f3[4:]) != 2 || string(f3[8:]) != "12hi" {
		t.Fatalf("type 3 frame % x", f3)
	}
}

func TestTruthy(t *testing.T) {
	for raw, want := range map[string]bool{"true": true, "1": true, `"x"`: true, "false": false, "0": false, `""`: false, "null": false, "": false, "[]": false} {
		if got := Truthy(json.RawMessage(raw)); got != want {
			t.Errorf("Truthy(%s) = %v", raw, got)
		}
	}
}
