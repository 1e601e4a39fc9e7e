// Package sensitivetest writes envelopes in the formats of earlier releases,
// so that tests can prove they still open and that `app db rekey` upgrades
// them. Production code never imports it.
package sensitivetest

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/central/central/internal/sensitive"
)

// SealV1 JSON-encodes v and returns the version 1 envelope (jsonb text)
// that releases before place binding wrote: the additional data covers the
// key id and version only, and the envelope records no place.
func SealV1(ctx context.Context, kp sensitive.Keeper, ref sensitive.KeyRef, v any) (string, error) {
	pt, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sensitivetest: encode: %w", err)
	}
	var buf [32 + 12]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", err
	}
	dek, nonce := buf[:32], buf[32:]
	block, err := aes.NewCipher(dek)
	if err != nil {
		return "", err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	ad := append([]byte("sensitive.v1\x00"+ref.ID+"\x00"), strconv.Itoa(ref.Version)...)
	ct := aead.Seal(nil, nonce, pt, ad)
	wdk, err := kp.Encrypt(ctx, dek)
	if err != nil {
		return "", fmt.Errorf("sensitivetest: wrap data key: %w", err)
	}
	b, err := json.Marshal(struct {
		V    int    `json:"v"`
		KID  string `json:"kid"`
		KVer int    `json:"kver"`
		WDK  []byte `json:"wdk"`
		N    []byte `json:"n"`
		CT   []byte `json:"ct"`
	}{1, ref.ID, ref.Version, wdk, nonce, ct})
	return string(b), err
}
