package schema

import (
	"regexp"

	"github.com/central/central/internal/jsonb"
)

// Go-side mirrors of the CHECK constraints, so ent rejects bad values with a
// readable error before a round trip. Keep each in step with its CHECK
// (the tag key's CHECK is built from the same jsonb.TagKeyPattern).
var (
	slugPattern   = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$`)
	tagKeyPattern = regexp.MustCompile(jsonb.TagKeyPattern)
	emailPattern  = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)
	issuerPattern = regexp.MustCompile(`^https?://`)
)
