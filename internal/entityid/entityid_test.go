package entityid_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/richid"
)

// idType is what every generated entity ID offers; the table below runs the
// same checks over all of them.
type idType interface {
	String() string
	Prefix() string
	UUIDString() string
	IsZero() bool
}

func TestEveryEntityIDRoundTrips(t *testing.T) {
	const ulid = "01H2XVNZ7C9NXWK3TMCRD9QWMN"
	tests := []struct {
		prefix string
		parse  func(string) (idType, error)
		fresh  func() idType
	}{
		{"tenant", wrap(entityid.ParseTenantID), func() idType { return entityid.NewTenantID() }},
		{"user", wrap(entityid.ParseUserID), func() idType { return entityid.NewUserID() }},
		{"user_tag", wrap(entityid.ParseUserTagID), func() idType { return entityid.NewUserTagID() }},
		{"oidc_connector", wrap(entityid.ParseOIDCConnectorID), func() idType { return entityid.NewOIDCConnectorID() }},
		{"stored_object", wrap(entityid.ParseStoredObjectID), func() idType { return entityid.NewStoredObjectID() }},
		{"seed", wrap(entityid.ParseSeedID), func() idType { return entityid.NewSeedID() }},
		{"audit_event", wrap(entityid.ParseAuditEventID), func() idType { return entityid.NewAuditEventID() }},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			if seen[tt.prefix] {
				t.Fatalf("prefix %q used twice", tt.prefix)
			}
			seen[tt.prefix] = true
			id, err := tt.parse(tt.prefix + "-" + strings.ToLower(ulid))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if id.String() != tt.prefix+"-"+ulid || id.Prefix() != tt.prefix {
				t.Errorf("String() = %q, Prefix() = %q", id.String(), id.Prefix())
			}
			if _, err := tt.parse("other-" + ulid); !errors.Is(err, richid.ErrInvalid) || !strings.Contains(err.Error(), `want "`+tt.prefix+`"`) {
				t.Errorf("wrong prefix: %v", err)
			}
			fresh := tt.fresh()
			if fresh.IsZero() || !strings.HasPrefix(fresh.String(), tt.prefix+"-") {
				t.Errorf("New gave %q", fresh.String())
			}
		})
	}
}

func wrap[T idType](parse func(string) (T, error)) func(string) (idType, error) {
	return func(s string) (idType, error) { return parse(s) }
}

func TestIDsAreTextAndSQLValues(t *testing.T) {
	id := entityid.NewUserID()
	b, err := json.Marshal(map[string]entityid.UserID{"id": id})
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]entityid.UserID
	if err := json.Unmarshal(b, &back); err != nil || back["id"] != id {
		t.Fatalf("JSON round trip: %s -> %v, %v", b, back["id"], err)
	}
	// A TenantID's text is not a UserID.
	var wrong entityid.UserID
	if err := json.Unmarshal([]byte(`"`+entityid.NewTenantID().String()+`"`), &wrong); !errors.Is(err, richid.ErrInvalid) {
		t.Errorf("tenant ID unmarshaled into a UserID: %v", err)
	}
	v, err := id.Value()
	if err != nil || v != id.UUIDString() {
		t.Errorf("Value() = %v, %v; want the UUID text %s", v, err, id.UUIDString())
	}
	var scanned entityid.UserID
	if err := scanned.Scan(id.UUIDString()); err != nil || scanned != id {
		t.Errorf("Scan(uuid text) = %v, %v", scanned, err)
	}
	if err := scanned.Scan(nil); err == nil {
		t.Error("Scan(NULL) into a non-pointer ID succeeded")
	}
	if a, b := entityid.NewUserID(), entityid.NewUserID(); a.Compare(b) >= 0 || !a.Time().Equal(a.Time()) {
		t.Errorf("IDs from one process are not increasing: %s then %s", a, b)
	}
}

func ExampleParseTenantID() {
	id, err := entityid.ParseTenantID("tenant-01h2xvnz7c9nxwk3tmcrd9qwmn")
	fmt.Println(id, err)
	fmt.Println(id.UUIDString())

	_, err = entityid.ParseTenantID("user-01H2XVNZ7C9NXWK3TMCRD9QWMN")
	fmt.Println(errors.Is(err, richid.ErrInvalid))
	// Output:
	// tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN <nil>
	// 0188bbba-fcec-4d7b-c98f-54661a9bf295
	// true
}
