package mixin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/mixin"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var bucketCases = []struct {
	bucket string
	valid  bool
}{
	{"abc", true},
	{"my-bucket.v2", true},
	{"a1b2c3", true},
	{strings.Repeat("a", 63), true},
	{"ab", false},                    // too short
	{strings.Repeat("a", 64), false}, // too long
	{"My-Bucket", false},             // uppercase
	{"-bucket", false},               // starts with a hyphen
	{"bucket-", false},               // ends with a hyphen
	{"bucket.", false},               // ends with a dot
	{"my..bucket", false},            // two adjacent dots
	{"my_bucket", false},             // underscore
	{"192.168.5.4", false},           // shaped like an IPv4 address
	{"xn--bucket", false},            // reserved prefix
	{"sthree-bucket", false},         // reserved prefix
	{"amzn-s3-demo-bucket", false},   // reserved prefix
	{"bucket-s3alias", false},        // reserved suffix
	{"bucket--ol-s3", false},         // reserved suffix
	{"bucket--x-s3", false},          // reserved suffix
	{"bucket.mrap", false},           // reserved suffix
	{"bücket", false},                // non-ASCII
	{"192.168.5.4.example", true},    // IP-like prefix but not an address
}

func TestValidateBucket(t *testing.T) {
	for _, tt := range bucketCases {
		err := mixin.ValidateBucket(tt.bucket)
		if (err == nil) != tt.valid {
			t.Errorf("ValidateBucket(%q) = %v, want valid=%v", tt.bucket, err, tt.valid)
		}
		if err != nil && (!errors.Is(err, mixin.ErrInvalidLocator) || !strings.Contains(err.Error(), tt.bucket)) {
			t.Errorf("ValidateBucket(%q) error %q does not match ErrInvalidLocator or name the bucket", tt.bucket, err)
		}
	}
}

func TestValidateObjectName(t *testing.T) {
	for _, tt := range []struct {
		name  string
		valid bool
	}{
		{"a", true},
		{"dir/file.txt", true},
		{strings.Repeat("é", 512), true}, // 1024 bytes
		{"", false},
		{strings.Repeat("a", 1025), false},
	} {
		if err := mixin.ValidateObjectName(tt.name); (err == nil) != tt.valid {
			t.Errorf("ValidateObjectName(len %d) = %v, want valid=%v", len(tt.name), err, tt.valid)
		}
	}
}

// TestBucketCheckMatchesValidator inserts every case through raw SQL: the
// CHECK constraint must accept exactly what the Go validator accepts, so a
// row written outside ent obeys the same rule.
func TestBucketCheckMatchesValidator(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t).OpenAdminDB(t) // the superuser: row-level security is not what this tests
	var tenant string
	if err := db.QueryRowContext(ctx, `INSERT INTO tenants (id, slug, display_name) VALUES (gen_random_uuid(), 'acme', 'Acme') RETURNING id::text`).Scan(&tenant); err != nil {
		t.Fatal(err)
	}
	for i, tt := range bucketCases {
		_, err := db.ExecContext(ctx, `INSERT INTO stored_objects (id, tenant_id, bucket, object_name, size_bytes) VALUES (gen_random_uuid(), $1, $2, $3, 0)`,
			tenant, tt.bucket, "object-"+strings.Repeat("x", i))
		var pgErr *pgconn.PgError
		rejected := errors.As(err, &pgErr) && pgErr.Code == "23514"
		if err != nil && !rejected {
			t.Fatalf("insert %q: unexpected error %v", tt.bucket, err)
		}
		if rejected == tt.valid {
			t.Errorf("bucket %q: CHECK rejected=%v, but the Go validator says valid=%v", tt.bucket, rejected, tt.valid)
		}
	}
}
