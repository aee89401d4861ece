package safetensors

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every error that reports a malformed, truncated or
// hostile file, so callers can tell bad input from I/O trouble with errors.Is.
var ErrInvalid = errors.New("invalid safetensors file")

// ErrNotFound is wrapped when a tensor name is not in the file.
var ErrNotFound = errors.New("tensor not found")

// Error describes a problem with one file (and possibly one tensor in it).
type Error struct {
	Path   string // file the problem was found in
	Tensor string // tensor name, empty when the problem is file-wide
	Reason string // what is wrong, in words
	Err    error  // ErrInvalid, ErrNotFound or an underlying I/O error
}

// Error formats as "safetensors: <path>: tensor "<name>": <reason>".
func (e *Error) Error() string {
	if e.Tensor != "" {
		return fmt.Sprintf("safetensors: %s: tensor %q: %s", e.Path, e.Tensor, e.Reason)
	}
	return fmt.Sprintf("safetensors: %s: %s", e.Path, e.Reason)
}

// Unwrap returns the sentinel or I/O error behind e.
func (e *Error) Unwrap() error { return e.Err }

func invalid(path, tensor, format string, args ...any) error {
	return &Error{Path: path, Tensor: tensor, Reason: fmt.Sprintf(format, args...), Err: ErrInvalid}
}
