package richid

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"sync"
	"time"
)

// maxMS is the largest timestamp a ULID holds (48 bits of milliseconds, in the year 10889).
const maxMS = 1<<48 - 1

// Generator makes ULIDs that strictly increase in the order they are generated, even within one millisecond and
// even when the clock goes backwards. It is safe for concurrent use.
//
// The first ID of a millisecond gets 80 fresh random bits. Later IDs in the same millisecond (or while the clock
// is behind the last ID's time) keep that time and add a random increment in [1, 2^32] to the previous random
// bits, as oklog/ulid's Monotonic does, so they stay ordered without being trivially guessable. When the 80 bits
// would overflow, the time is moved one millisecond ahead and fresh bits are drawn.
type Generator struct {
	clock   func() time.Time
	entropy io.Reader

	mu      sync.Mutex
	started bool
	lastMS  uint64
	hi      uint16 // top 16 of the 80 random bits
	lo      uint64 // low 64 of the 80 random bits

	// pool holds entropy read ahead in blocks, so that most IDs cost no read from the entropy source (a
	// getrandom call for crypto/rand). The bytes end up in IDs, which are public, so keeping them is harmless.
	pool    [entropyBlock]byte
	poolPos int // next unused byte of pool; len(pool) when empty
}

// entropyBlock is how many bytes a Generator reads from its entropy source at a time: 25 fresh IDs, or 64 IDs
// within one millisecond.
const entropyBlock = 256

// NewGenerator returns a Generator that reads time from clock and randomness from entropy, 256 bytes at a time.
// The entropy reader needs no locking of its own and must not fail: Next panics if it does (crypto/rand.Reader
// never fails). NewGenerator panics when clock or entropy is nil.
func NewGenerator(clock func() time.Time, entropy io.Reader) *Generator {
	if clock == nil {
		panic("richid: NewGenerator: nil clock; pass time.Now or a test clock")
	}
	if entropy == nil {
		panic("richid: NewGenerator: nil entropy; pass crypto/rand.Reader or a seeded test reader")
	}
	return &Generator{clock: clock, entropy: entropy, poolPos: entropyBlock}
}

// defaultGenerator is the only package-level state: ent field defaults (and ids.NewTenantID and friends) are
// plain functions without a place to inject a Generator, and a process needs one shared Generator for its IDs to
// be monotonic. It is built on first use, from time.Now and crypto/rand, and has no setter: code that needs a
// controlled clock or entropy makes its own Generator.
var defaultGenerator = sync.OnceValue(func() *Generator { return NewGenerator(time.Now, rand.Reader) })

// Default returns the process-wide Generator (time.Now, crypto/rand), built on first use.
func Default() *Generator { return defaultGenerator() }

// New returns a new ID of kind K from g.
func New[K Kind](g *Generator) ID[K] {
	if g == nil {
		panic("richid: New: nil *Generator; use richid.Default() or richid.NewGenerator")
	}
	return ID[K]{u: g.Next()}
}

// Next returns the next ULID's 16 bytes.
func (g *Generator) Next() [16]byte {
	ms := unixMS(g.clock())

	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started && ms <= g.lastMS {
		ms = g.lastMS
		inc := uint64(binary.BigEndian.Uint32(g.take(4))) + 1
		lo, carry := bits.Add64(g.lo, inc, 0)
		if carry == 0 || g.hi < 0xFFFF {
			g.lo, g.hi = lo, g.hi+uint16(carry)
			return g.pack(ms)
		}
		ms++ // the 80 random bits are used up for this millisecond: borrow the next one
	}
	if ms > maxMS {
		panic(fmt.Sprintf("richid: time %d ms since 1970 is beyond the ULID range (max %d)", ms, uint64(maxMS)))
	}
	b := g.take(10)
	g.hi = binary.BigEndian.Uint16(b[:2])
	g.lo = binary.BigEndian.Uint64(b[2:10])
	g.started = true
	return g.pack(ms)
}

// pack records ms as the last time and returns the ULID of ms and the current random bits.
func (g *Generator) pack(ms uint64) (u [16]byte) {
	g.lastMS = ms
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	binary.BigEndian.PutUint16(u[6:8], g.hi)
	binary.BigEndian.PutUint64(u[8:16], g.lo)
	return u
}

// take returns the next n bytes of entropy, refilling the pool when it has fewer left. Called with g.mu held.
func (g *Generator) take(n int) []byte {
	if g.poolPos+n > len(g.pool) {
		if _, err := io.ReadFull(g.entropy, g.pool[:]); err != nil {
			panic(fmt.Sprintf("richid: read entropy: %v", err))
		}
		g.poolPos = 0
	}
	b := g.pool[g.poolPos : g.poolPos+n]
	g.poolPos += n
	return b
}

// unixMS returns t in milliseconds since 1970; times before 1970 count as 0.
func unixMS(t time.Time) uint64 {
	ms := t.UnixMilli()
	if ms < 0 {
		return 0
	}
	return uint64(ms)
}
