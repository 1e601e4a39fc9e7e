package sensitive

// FastParses reports whether the hand-written envelope parser (wire.go)
// takes b without falling back to encoding/json.
func FastParses(b []byte) bool {
	var w wireEnvelope
	return fastParse(b, &w)
}
