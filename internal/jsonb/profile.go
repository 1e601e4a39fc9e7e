package jsonb

// UserProfile is a user's non-sensitive, queryable profile: stored in the
// users.profile JSONB column (never NULL; {} when empty) under a GIN index
// (jsonb_path_ops), so containment filters (profile @> '{"locale":"fr-FR"}')
// find users across a large table without a scan. It must never hold
// secrets or personal data that needs sealing: use the sealed documents
// for those.
//
// Empty fields are omitted, so the stored document holds only what is set
// and containment on one field ignores the others.
type UserProfile struct {
	// Locale is a BCP 47 language tag, e.g. "en-GB".
	Locale string `json:"locale,omitempty"`
	// TimeZone is an IANA time zone name, e.g. "Europe/Paris".
	TimeZone string `json:"time_zone,omitempty"`
	// Title is the user's job title, free text.
	Title string `json:"title,omitempty"`
	// Attributes are free-form string attributes, key → value, e.g.
	// {"team": "compilers"}.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// IsZero reports whether nothing is set.
func (p UserProfile) IsZero() bool {
	return p.Locale == "" && p.TimeZone == "" && p.Title == "" && len(p.Attributes) == 0
}
