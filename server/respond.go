package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// writeJSON answers 200 (or status) with v as JSON, without HTML escaping
// (Python's json module does none).
func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "server: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(bytes.TrimRight(b.Bytes(), "\n"))
}

// emptyOK is ComfyUI's "success without data": 200 with an empty body.
func emptyOK(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }

// fail answers a bare status with an empty body, as ComfyUI does for most
// errors.
func fail(w http.ResponseWriter, status int) { w.WriteHeader(status) }

// failText answers a status with a short plain-text reason, for the 400s
// that ComfyUI would have answered with a 500 and a traceback.
func failText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, msg)
}

func notFound(w http.ResponseWriter, _ *http.Request) { fail(w, http.StatusNotFound) }

func jsonConst(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		io.WriteString(w, body)
	}
}

// errEmptyBody marks a request that needed a JSON body and had none.
var errEmptyBody = errors.New("empty body")

// decodeJSON reads one JSON value from the body into v. Unknown fields are
// allowed (clients send extra keys); a wrong type or trailing garbage is an
// error that names the problem.
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errEmptyBody
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err)
	}
	if dec.More() {
		return errors.New("invalid JSON: trailing data after the value")
	}
	return nil
}

func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "body"
		}
		return fmt.Errorf("wrong type for %s: got JSON %s, want %s", field, te.Value, jsonKind(te.Type.String()))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	return fmt.Errorf("invalid JSON: %v", err)
}

func jsonKind(goType string) string {
	switch goType {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "[]string":
		return "array of strings"
	}
	if len(goType) > 0 && goType[0] == '[' {
		return "array"
	}
	if len(goType) > 3 && goType[:3] == "map" {
		return "object"
	}
	return goType
}

// decodeOptionalJSON is decodeJSON where an empty body means "no fields".
func decodeOptionalJSON(r *http.Request, v any) error {
	err := decodeJSON(r, v)
	if errors.Is(err, errEmptyBody) {
		return nil
	}
	return err
}
