package sensitive_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/central/central/internal/sensitive"
)

func TestRotation(t *testing.T) {
	ctx := context.Background()
	k1, k2 := randomKey(t), randomKey(t)
	before := newKeyring(t, ref("local", 1), map[sensitive.KeyRef][]byte{ref("local", 1): k1})
	during := newKeyring(t, ref("local", 2), map[sensitive.KeyRef][]byte{ref("local", 1): k1, ref("local", 2): k2})
	after := newKeyring(t, ref("local", 2), map[sensitive.KeyRef][]byte{ref("local", 2): k2})

	old, err := sensitive.Seal(ctx, before, doc)
	if err != nil {
		t.Fatal(err)
	}
	if sensitive.NeedsRekey(before, old) {
		t.Fatal("a value under the current key needs rekeying")
	}

	// During rotation: old values open, new values use the new key.
	if got, err := sensitive.Open(ctx, during, old); err != nil || !reflect.DeepEqual(got, doc) {
		t.Fatalf("open old value during rotation: %v", err)
	}
	fresh, err := sensitive.Seal(ctx, during, doc)
	if err != nil || fresh.Key() != ref("local", 2) {
		t.Fatalf("seal during rotation: key %v, err %v", fresh.Key(), err)
	}
	if !sensitive.NeedsRekey(during, old) || sensitive.NeedsRekey(during, fresh) {
		t.Fatal("NeedsRekey: want old=true fresh=false")
	}

	// Rekey moves the old value; a current one is left alone.
	moved, changed, err := sensitive.Rekey(ctx, during, old)
	if err != nil || !changed || moved.Key() != ref("local", 2) {
		t.Fatalf("Rekey(old) = %v, %v, %v", moved.Key(), changed, err)
	}
	same, changed, err := sensitive.Rekey(ctx, during, fresh)
	if err != nil || changed || !reflect.DeepEqual(same, fresh) {
		t.Fatalf("Rekey(current) = %v, %v", changed, err)
	}
	if sensitive.NeedsRekey(during, moved) {
		t.Fatal("rekeyed value still needs rekeying")
	}
	oldJSON, _ := json.Marshal(old)
	movedJSON, _ := json.Marshal(moved)
	if string(oldJSON) == string(movedJSON) {
		t.Fatal("rekey did not change the envelope")
	}

	// After retiring the old key: moved values open, unmoved ones name the missing key.
	if got, err := sensitive.Open(ctx, after, moved); err != nil || !reflect.DeepEqual(got, doc) {
		t.Fatalf("open rekeyed value after retiring the old key: %v", err)
	}
	var uk *sensitive.UnknownKeyError
	if _, err := sensitive.Open(ctx, after, old); !errors.As(err, &uk) || uk.Key != ref("local", 1) {
		t.Fatalf("open unmoved value after retiring its key: %v", err)
	}
	if _, _, err := sensitive.Rekey(ctx, after, old); !errors.Is(err, sensitive.ErrUnknownKey) {
		t.Fatalf("Rekey with the old key gone: %v", err)
	}

	// Rekey works on any column without knowing its Go type.
	var raw sensitive.Sealed[json.RawMessage]
	if err := raw.Scan(oldJSON); err != nil {
		t.Fatal(err)
	}
	rawMoved, changed, err := sensitive.Rekey(ctx, during, raw)
	if err != nil || !changed {
		t.Fatalf("Rekey(raw) = %v, %v", changed, err)
	}
	var typed sensitive.Sealed[secretDoc]
	b, _ := json.Marshal(rawMoved)
	if err := typed.Scan(b); err != nil {
		t.Fatal(err)
	}
	if got, err := sensitive.Open(ctx, after, typed); err != nil || !reflect.DeepEqual(got, doc) {
		t.Fatalf("open raw-rekeyed value: %v", err)
	}

	// NULL needs nothing.
	if sensitive.NeedsRekey(during, sensitive.Sealed[secretDoc]{}) {
		t.Fatal("NULL needs rekeying")
	}
	if _, changed, err := sensitive.Rekey(ctx, during, sensitive.Sealed[secretDoc]{}); changed || err != nil {
		t.Fatalf("Rekey(NULL) = %v, %v", changed, err)
	}
}
