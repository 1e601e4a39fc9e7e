package sensitive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/sensitive/keyring"
)

type IdPUserInfo struct {
	Subject string `json:"sub"`
	Email   string `json:"email"`
}

func ExampleSeal() {
	ctx := context.Background()
	key := bytes.Repeat([]byte{7}, 32) // from configuration in real code
	kr, err := keyring.NewLocal("local-2026", 1, key)
	if err != nil {
		panic(err)
	}
	defer kr.Close()

	sealed, err := sensitive.Seal(ctx, kr, IdPUserInfo{Subject: "00u1", Email: "a@example.com"})
	if err != nil {
		panic(err)
	}
	stored, _ := sealed.Value() // what goes into the jsonb column
	var env map[string]any
	_ = json.Unmarshal([]byte(stored.(string)), &env)
	fmt.Println("stored key:", env["kid"], env["kver"])
	fmt.Println("logged as:", sealed)

	info, err := sensitive.Open(ctx, kr, sealed)
	if err != nil {
		panic(err)
	}
	fmt.Println("opened:", info.Subject)
	// Output:
	// stored key: local-2026 1
	// logged as: [SEALED local-2026:1]
	// opened: 00u1
}

func ExampleSensitive() {
	type PrivateUser struct {
		Email   string
		IdPInfo sensitive.Sensitive[IdPUserInfo]
	}
	u := PrivateUser{Email: "a@example.com", IdPInfo: sensitive.New(IdPUserInfo{Subject: "00u1"})}
	b, _ := json.Marshal(u)
	fmt.Printf("%+v\n", u)
	fmt.Println(string(b))
	fmt.Println(u.IdPInfo.Reveal().Subject)
	// Output:
	// {Email:a@example.com IdPInfo:[REDACTED]}
	// {"Email":"a@example.com","IdPInfo":"[REDACTED]"}
	// 00u1
}

func ExampleRekey() {
	ctx := context.Background()
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	before, _ := keyring.NewLocal("app", 1, oldKey)
	sealed, _ := sensitive.Seal(ctx, before, "client-secret")

	// Rotation: configure both keys, the new one current.
	spec, _ := keyring.ParseSpec(
		"app:1=base64key://"+b64(oldKey)+",app:2=base64key://"+b64(newKey), "app:2")
	during, _ := keyring.Open(ctx, spec)

	fmt.Println("needs rekey:", sensitive.NeedsRekey(during, sealed))
	moved, changed, err := sensitive.Rekey(ctx, during, sealed)
	fmt.Println("rekeyed:", changed, moved.Key(), err)

	// Once every row is moved, the old key can go.
	after, _ := keyring.NewLocal("app", 2, newKey)
	secret, _ := sensitive.Open(ctx, after, moved)
	fmt.Println(secret)
	_, err = sensitive.Open(ctx, after, sealed)
	fmt.Println(errors.Is(err, sensitive.ErrUnknownKey))
	// Output:
	// needs rekey: true
	// rekeyed: true app:2 <nil>
	// client-secret
	// true
}

func b64(key []byte) string {
	u, _ := keyring.LocalKeyURL(key)
	return u[len("base64key://"):]
}

func ExampleSealAt() {
	ctx := context.Background()
	kr, err := keyring.NewLocal("local-2026", 1, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		panic(err)
	}
	defer kr.Close()

	// The row's ID is known before the insert (IDs are generated in Go).
	alice := [16]byte{0x01, 0x93, 15: 0xa}
	bob := [16]byte{0x01, 0x93, 15: 0xb}
	at := sensitive.At("users", "idp_user_info", alice)
	sealed, err := sensitive.SealAt(ctx, kr, at, IdPUserInfo{Subject: "00u1"})
	if err != nil {
		panic(err)
	}
	info, err := sensitive.OpenAt(ctx, kr, at, sealed)
	fmt.Println("alice's row:", info.Subject, err)

	// The same envelope copied into Bob's row does not open there.
	_, err = sensitive.OpenAt(ctx, kr, sensitive.At("users", "idp_user_info", bob), sealed)
	fmt.Println("bob's row:", errors.Is(err, sensitive.ErrMisplaced))
	// Output:
	// alice's row: 00u1 <nil>
	// bob's row: true
}
