package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
)

// maxBodyBytes bounds request bodies; Central's requests are small documents.
const maxBodyBytes = 1 << 20

// decodeJSON reads exactly one JSON object into dst, refusing unknown fields,
// trailing data, bodies over maxBodyBytes and non-JSON content types. On
// failure it has already written the problem response.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			writeProblem(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q is not JSON; send application/json", ct))
			return false
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil && dec.More() {
		err = errors.New("body holds more than one JSON value")
	}
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("body holds data after the JSON object")
		}
	}
	if err == nil {
		return true
	}
	var (
		tooLarge  *http.MaxBytesError
		syntax    *json.SyntaxError
		typeError *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		writeProblem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit))
	case errors.Is(err, io.EOF):
		writeProblem(w, r, http.StatusBadRequest, "request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		writeProblem(w, r, http.StatusBadRequest, "request body is not valid JSON: it ends before the object does")
	case errors.As(err, &syntax):
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("request body is not valid JSON (at byte %d): %v", syntax.Offset, err))
	case errors.As(err, &typeError) && typeError.Field == "":
		// The whole body has the wrong type ([] or "x"); never name the Go type.
		writeProblem(w, r, http.StatusBadRequest, "request body must be a JSON object, not "+jsonKind(typeError.Value))
	case errors.As(err, &typeError):
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("field %q must be a JSON %s", typeError.Field, jsonType(typeError.Type)))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		writeProblem(w, r, http.StatusBadRequest, "unknown field "+strings.TrimPrefix(err.Error(), "json: unknown field ")+" in request body")
	default:
		writeProblem(w, r, http.StatusBadRequest, "invalid request body: "+err.Error())
	}
	return false
}

// jsonType names the JSON type that decodes into t.
func jsonType(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Pointer:
		return jsonType(t.Elem())
	default:
		return "object"
	}
}

// jsonKind turns UnmarshalTypeError.Value ("array", "number 1", ...) into
// a short phrase.
func jsonKind(v string) string {
	kind, _, _ := strings.Cut(v, " ")
	switch kind {
	case "array", "string", "number", "bool":
		return "a JSON " + kind
	}
	return "another JSON value"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
