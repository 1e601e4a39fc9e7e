package mixin

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	entmixin "entgo.io/ent/schema/mixin"
)

// S3Locator adds the bucket and object_name of an object in S3-compatible
// storage. Both are NOT NULL; the bucket must follow S3's general-purpose
// bucket naming rules and the object name must be non-empty and at most
// 1024 bytes (S3's key limit). The rules are enforced twice: by a Go
// validator, so ent reports a readable error before a round trip, and by
// CHECK constraints, so rows written outside ent obey them too.
type S3Locator struct{ entmixin.Schema }

// Fields declares bucket and object_name.
func (S3Locator) Fields() []ent.Field {
	return []ent.Field{
		field.String("bucket").Validate(ValidateBucket),
		field.String("object_name").Validate(ValidateObjectName),
	}
}

// Annotations declares the CHECK constraints.
func (S3Locator) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			// 3–63 characters of a-z, 0-9, '.', '-', starting and ending with
			// a letter or digit; no "..", not shaped like an IPv4 address, and
			// none of the prefixes and suffixes AWS reserves. Written as two
			// comparisons, not BETWEEN: PostgreSQL turns a BETWEEN inside an
			// AND into a nested AND that it flattens when the migration is
			// applied, so the stored form would never match the schema's and
			// every diff (ours and atlas's) would plan it again.
			"bucket_name_valid": `char_length(bucket) >= 3 AND char_length(bucket) <= 63 ` +
				`AND bucket ~ '^[a-z0-9][a-z0-9.-]*[a-z0-9]$' ` +
				`AND bucket !~ '\.\.' ` +
				`AND bucket !~ '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' ` +
				`AND bucket !~ '^(xn--|sthree-|amzn-s3-demo-)' ` +
				`AND bucket !~ '(-s3alias|--ol-s3|--x-s3|\.mrap)$'`,
			"object_name_valid": `octet_length(object_name) BETWEEN 1 AND 1024`,
		}),
	}
}

// ErrInvalidLocator is matched by every bucket or object-name validation error.
var ErrInvalidLocator = errors.New("mixin: invalid S3 locator")

var (
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	ipv4Shape     = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$`)
)

// ValidateBucket applies S3's bucket naming rules (the same rules as the
// bucket_name_valid CHECK constraint).
func ValidateBucket(b string) error {
	bad := func(why string) error { return fmt.Errorf("%w: bucket %q %s", ErrInvalidLocator, b, why) }
	switch {
	case len(b) < 3 || len(b) > 63:
		return bad("must be 3 to 63 characters long")
	case !bucketPattern.MatchString(b):
		return bad("may hold only a-z, 0-9, '.' and '-', and must start and end with a letter or digit")
	case strings.Contains(b, ".."):
		return bad(`must not contain ".."`)
	case ipv4Shape.MatchString(b):
		return bad("must not be formatted as an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			return bad("must not start with the reserved prefix " + p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", "--x-s3", ".mrap"} {
		if strings.HasSuffix(b, s) {
			return bad("must not end with the reserved suffix " + s)
		}
	}
	return nil
}

// ValidateObjectName requires a non-empty key of at most 1024 bytes.
func ValidateObjectName(name string) error {
	if name == "" || len(name) > 1024 {
		return fmt.Errorf("%w: object name must be 1 to 1024 bytes long (got %d)", ErrInvalidLocator, len(name))
	}
	return nil
}

var _ ent.Mixin = S3Locator{}
