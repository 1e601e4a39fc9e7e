package richid_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/central/central/internal/richid"
	"go.uber.org/zap"
)

func ExampleParse() {
	id, err := richid.Parse[tenantKind]("tenant-01h2xvnz7c9nxwk3tmcrd9qwmn")
	if err != nil {
		panic(err)
	}
	fmt.Println(id)
	fmt.Println(id.UUIDString())
	fmt.Println(id.Time().Format(time.RFC3339Nano))

	_, err = richid.Parse[tenantKind]("user-01H2XVNZ7C9NXWK3TMCRD9QWMN")
	fmt.Println(err)
	fmt.Println(errors.Is(err, richid.ErrInvalid))
	// Output:
	// tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN
	// 0188bbba-fcec-4d7b-c98f-54661a9bf295
	// 2023-06-14T21:06:13.868Z
	// richid: invalid tenant ID "user-01H2XVNZ7C9NXWK3TMCRD9QWMN": prefix is "user", want "tenant"
	// true
}

func ExampleFromUUID() {
	u := [16]byte{0x01, 0x88, 0xbb, 0xba, 0xfc, 0xec, 0x4d, 0x7b, 0xc9, 0x8f, 0x54, 0x66, 0x1a, 0x9b, 0xf2, 0x95}
	id := TenantID{richid.FromUUID[tenantKind](u)}
	fmt.Println(id)
	fmt.Println(id.UUID() == u)
	// Output:
	// tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN
	// true
}

func ExampleParseUUID() {
	id, err := richid.ParseUUID[tenantKind]("0188BBBA-FCEC-4D7B-C98F-54661A9BF295")
	fmt.Println(id, err)
	// Output:
	// tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN <nil>
}

func ExampleNewGenerator() {
	clock := func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
	g := richid.NewGenerator(clock, rand.NewChaCha8([32]byte{}))
	a := richid.New[tenantKind](g)
	b := richid.New[tenantKind](g) // same millisecond: still strictly greater
	fmt.Println(a.Time(), b.Time())
	fmt.Println(a.Compare(b))
	// Output:
	// 2025-01-02 03:04:05 +0000 UTC 2025-01-02 03:04:05 +0000 UTC
	// -1
}

func ExampleID_MarshalText() {
	type tenant struct {
		ID   TenantID `json:"id"`
		Name string   `json:"name"`
	}
	in := tenant{ID: TenantID{richid.MustParse[tenantKind]("tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN")}, Name: "Acme"}
	b, _ := json.Marshal(in)
	fmt.Println(string(b))

	var out tenant
	err := json.Unmarshal([]byte(`{"id":"tenant-01h2xvnz7c9nxwk3tmcrd9qwmn","name":"Acme"}`), &out)
	fmt.Println(out == in, err)

	err = json.Unmarshal([]byte(`{"id":"tenant-01H2XVNZ7C9NXWK3TMCRD9QWMI"}`), &out)
	fmt.Println(err)
	// Output:
	// {"id":"tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN","name":"Acme"}
	// true <nil>
	// richid: invalid tenant ID "tenant-01H2XVNZ7C9NXWK3TMCRD9QWMI": character 'I' at offset 32 is not Crockford base32 (0-9 and A-Z except I, L, O, U; either case)
}

func ExampleValidatePrefix() {
	fmt.Println(richid.ValidatePrefix("oidc_connector"))
	fmt.Println(richid.ValidatePrefix("Tenant"))
	// Output:
	// <nil>
	// richid: invalid prefix "Tenant": must start with a lowercase letter a-z
}

func ExampleField() {
	logger := zap.NewExample()
	id := TenantID{richid.MustParse[tenantKind]("tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN")}
	logger.Info("tenant created", richid.Field("tenant", id.ID), zap.Any("same", id))
	// Output:
	// {"level":"info","msg":"tenant created","tenant":"tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN","same":"tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN"}
}

func ExampleID_Scan() {
	var id TenantID
	err := id.Scan("0188bbba-fcec-4d7b-c98f-54661a9bf295") // what database/sql hands over for a uuid column
	fmt.Println(id, err)

	err = id.Scan(nil)
	fmt.Println(errors.Is(err, richid.ErrNull))
	// Output:
	// tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN <nil>
	// true
}
