package sensitive_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"gocloud.dev/secrets/localsecrets"

	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/sensitive/keyring"
)

// secretDoc is the plaintext the tests seal; its fields are distinctive so
// that any leak is found by a substring search.
type secretDoc struct {
	Subject string   `json:"sub"`
	Email   string   `json:"email"`
	Groups  []string `json:"groups"`
	Number  int      `json:"number"`
}

var doc = secretDoc{
	Subject: "subject-PLAINTEXT-7f3a",
	Email:   "alice.plaintext@example.com",
	Groups:  []string{"group-PLAINTEXT-admins"},
	Number:  987654321,
}

// leaks are the substrings that must never appear in stored, printed or
// logged forms of doc.
func leaks(t testing.TB) []string {
	t.Helper()
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{doc.Subject, doc.Email, doc.Groups[0], "987654321", "PLAINTEXT", "plaintext"}
	for _, b := range [][]byte{js, []byte(doc.Subject), []byte(doc.Email)} {
		out = append(out,
			base64.StdEncoding.EncodeToString(b)[:16],
			base64.URLEncoding.EncodeToString(b)[:16],
			base64.RawStdEncoding.EncodeToString(b)[:16],
			hex.EncodeToString(b)[:16],
		)
	}
	return out
}

func assertNoLeak(t testing.TB, what, s string) {
	t.Helper()
	for _, l := range leaks(t) {
		if strings.Contains(s, l) {
			t.Errorf("%s leaks %q: %s", what, l, s)
		}
	}
}

func randomKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// localKeeper is a gocloud local keeper (the production default) for key.
func localKeeper(t testing.TB, key []byte) sensitive.Keeper {
	t.Helper()
	var sk [32]byte
	copy(sk[:], key)
	kp, err := keyring.NewKeeper(localsecrets.NewKeeper(sk))
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// newKeyring builds a keyring from refs to keys, current first.
func newKeyring(t testing.TB, current sensitive.KeyRef, keys map[sensitive.KeyRef][]byte, opts ...sensitive.Option) *sensitive.Keyring {
	t.Helper()
	keepers := make(map[sensitive.KeyRef]sensitive.Keeper, len(keys))
	for ref, k := range keys {
		keepers[ref] = localKeeper(t, k)
	}
	kr, err := sensitive.NewKeyring(current, keepers, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kr.Close() })
	return kr
}

func ref(id string, v int) sensitive.KeyRef { return sensitive.KeyRef{ID: id, Version: v} }
