package tensor

import "testing"

func TestNewAndClone(t *testing.T) {
	a := New(2, 3, 4)
	if a.Len() != 24 || a.String() != "tensor[2 3 4]" {
		t.Fatalf("New(2,3,4): len %d, %s", a.Len(), a)
	}
	a.Data[5] = 7
	b := a.Clone()
	b.Data[5] = 1
	b.Shape[0] = 9
	if a.Data[5] != 7 || a.Shape[0] != 2 {
		t.Error("Clone shares storage with the original")
	}
	if !a.SameShape(New(2, 3, 4)) || a.SameShape(New(2, 12)) || a.SameShape(New(2, 3, 5)) {
		t.Error("SameShape is wrong")
	}
}

func TestFromDataChecksSize(t *testing.T) {
	if got := FromData([]float32{1, 2, 3, 4, 5, 6}, 2, 3); got.Shape[1] != 3 {
		t.Fatalf("shape %v", got.Shape)
	}
	defer func() {
		if recover() == nil {
			t.Error("FromData with a wrong size did not panic")
		}
	}()
	FromData([]float32{1, 2, 3}, 2, 2)
}

func TestNumElementsOfScalar(t *testing.T) {
	if NumElements(nil) != 1 || NumElements([]int{3, 0}) != 0 {
		t.Error("NumElements")
	}
}
