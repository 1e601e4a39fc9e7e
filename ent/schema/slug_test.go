package schema

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestSlugFormatMatchesPattern holds slugFormat to the slug_format CHECK's
// pattern (slugRegexp): every string over an alphabet that has each class
// the pattern tells apart (lowercase, digit, hyphen, and what it refuses:
// uppercase, underscore, space, a multi-byte letter) up to length 4, the
// lengths around the 3 and 63 limits, and random strings, must be accepted
// by both or refused by both.
func TestSlugFormatMatchesPattern(t *testing.T) {
	re := regexp.MustCompile(slugRegexp)
	alphabet := []string{"a", "z", "0", "9", "-", "A", "_", " ", "é"}
	checked, accepted := 0, 0
	check := func(s string) {
		checked++
		want := re.MatchString(s)
		if want {
			accepted++
		}
		if got := slugFormat(s) == nil; got != want {
			t.Errorf("slugFormat(%q) accepts = %v, the pattern says %v", s, got, want)
		}
	}
	var walk func(prefix string, depth int)
	walk = func(prefix string, depth int) {
		check(prefix)
		if depth == 0 {
			return
		}
		for _, c := range alphabet {
			walk(prefix+c, depth-1)
		}
	}
	walk("", 4)
	for n := 60; n <= 66; n++ {
		for _, s := range []string{strings.Repeat("a", n), "a" + strings.Repeat("-", n-2) + "9", "-" + strings.Repeat("a", n-1), strings.Repeat("a", n-1) + "-", strings.Repeat("a", n-1) + "A"} {
			check(s)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, rng.IntN(70))
		for i := range b {
			b[i] = "abcxyz0189-_A Z\x00é"[rng.IntN(17)]
		}
		check(string(b))
	}
	if accepted < 100 || accepted == checked {
		t.Fatalf("%d of %d strings accepted: the comparison does not exercise both answers", accepted, checked)
	}
}
