package schema

import "regexp"

// Go-side mirrors of the CHECK constraints, so ent rejects bad values with a
// readable error before a round trip. Keep each in step with its CHECK.
var (
	slugPattern   = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$`)
	tagKeyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.:-]{0,63}$`)
	emailPattern  = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)
	issuerPattern = regexp.MustCompile(`^https?://`)
)
