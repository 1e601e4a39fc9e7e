package richid

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These tests guard the edges the mutation tester (internal/tools/mutate)
// found unguarded; each names the deliberate bug it catches.

// TestUnhex: only 0-9, a-f and A-F are hex digits. Bug caught: a range
// test written with || (every byte from 'A' up taken for a digit).
func TestUnhex(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := byte(0xFF)
		switch {
		case '0' <= c && c <= '9':
			want = byte(c - '0')
		case 'a' <= c && c <= 'f':
			want = byte(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			want = byte(c - 'A' + 10)
		}
		if got := unhex(byte(c)); got != want {
			t.Errorf("unhex(%q) = %#x, want %#x", byte(c), got, want)
		}
	}
}

// counter is an entropy source whose byte i is byte(i): which bytes an ID
// got shows where in the stream the generator took them.
type counter struct{ pos int }

func (c *counter) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c.pos)
		c.pos++
	}
	return len(p), nil
}

func lo(u [16]byte) uint64 { return binary.BigEndian.Uint64(u[8:]) }
func ms(u [16]byte) uint64 {
	var b [8]byte
	copy(b[2:], u[:6])
	return binary.BigEndian.Uint64(b[:])
}

// TestEntropyPoolUsedToTheLastByte: the generator takes its entropy in
// stream order, using the pool to its last byte before refilling. Bug
// caught: refilling when the request exactly fits (> written >=), which
// silently skips entropy.
func TestEntropyPoolUsedToTheLastByte(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	g := NewGenerator(func() time.Time { return now }, &counter{})
	g.Next() // 10 bytes: 0..9
	now = now.Add(time.Millisecond)
	prev := g.Next() // 10 bytes: 10..19
	// 58 more in the same millisecond, 4 bytes each: 20..251.
	for range 58 {
		prev = g.Next()
	}
	// The next takes bytes 252..255, exactly the rest of the 256-byte pool.
	next := g.Next()
	want := uint64(binary.BigEndian.Uint32([]byte{252, 253, 254, 255})) + 1
	if got := lo(next) - lo(prev); got != want {
		t.Errorf("increment %d, want %d (bytes 252..255 of the entropy stream)", got, want)
	}
}

// TestSameMillisecondWithTopRandomBitsSet: with the 16 top random bits all
// set but no carry out of the low 64, the ID stays in its millisecond. Bug
// caught: carry == 0 || hi < 0xFFFF written with && (it would borrow the
// next millisecond needlessly).
func TestSameMillisecondWithTopRandomBitsSet(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	src := append([]byte{0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0}, make([]byte, 1024)...)
	g := NewGenerator(func() time.Time { return now }, bytes.NewReader(src))
	a, b := g.Next(), g.Next()
	if ms(a) != ms(b) || lo(b) != lo(a)+1 {
		t.Errorf("second ID: ms %d lo %d, want ms %d lo %d", ms(b), lo(b), ms(a), lo(a)+1)
	}
}

// TestLastMillisecondOfTheULIDRange: the largest timestamp a ULID holds is
// still valid. Bug caught: ms > maxMS written >= (a panic on the last
// millisecond).
func TestLastMillisecondOfTheULIDRange(t *testing.T) {
	g := NewGenerator(func() time.Time { return time.UnixMilli(maxMS) }, &counter{})
	if got := ms(g.Next()); got != maxMS {
		t.Errorf("ms = %d, want %d", got, uint64(maxMS))
	}
}

// TestQuoteTrunc: inputs up to maxQuoted bytes are quoted whole, longer ones
// cut on a rune boundary, but never more than utf8.UTFMax bytes before the
// limit, even in invalid UTF-8 (attacker input). Bugs caught: <= written <
// (an index out of range at exactly maxQuoted bytes), the backing-off bound
// off by one.
func TestQuoteTrunc(t *testing.T) {
	exact := strings.Repeat("a", maxQuoted)
	tests := []struct{ name, in, want string }{
		{"exactly the limit", exact, strconv.Quote(exact)},
		{"one over", exact + "b", strconv.Quote(exact + "…")},
		{"rune across the limit", strings.Repeat("a", maxQuoted-1) + "é", strconv.Quote(strings.Repeat("a", maxQuoted-1) + "…")},
		{"continuation bytes only", strings.Repeat("a", 59) + strings.Repeat("\x80", 10), strconv.Quote(strings.Repeat("a", 59) + "\x80…")},
	}
	for _, tt := range tests {
		if got := quoteTrunc(tt.in); got != tt.want {
			t.Errorf("%s: quoteTrunc = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestValidatePrefixBounds: the ends of every accepted range are accepted.
// Bugs caught: any of the range comparisons off by one ('z' first, 'z',
// '0' or '9' later refused).
func TestValidatePrefixBounds(t *testing.T) {
	for _, p := range []string{"z", "a", "az", "a0", "a9", "a_b", strings.Repeat("a", maxPrefix)} {
		if err := ValidatePrefix(p); err != nil {
			t.Errorf("ValidatePrefix(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range []string{"{", "`", "a{", "a`", "a/", "a:", strings.Repeat("a", maxPrefix+1)} {
		if err := ValidatePrefix(p); err == nil {
			t.Errorf("ValidatePrefix(%q) accepted", p)
		}
	}
}
