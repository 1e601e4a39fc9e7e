package richid_test

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/central/central/internal/richid"
)

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// constReader returns the same byte forever.
type constReader byte

func (r constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestGeneratorUsesClockAndEntropy(t *testing.T) {
	clock := &fakeClock{t: t0}
	a := richid.NewGenerator(clock.now, rand.NewChaCha8([32]byte{1}))
	b := richid.NewGenerator(clock.now, rand.NewChaCha8([32]byte{1}))
	c := richid.NewGenerator(clock.now, rand.NewChaCha8([32]byte{2}))
	for i := range 100 {
		if i%10 == 0 {
			clock.set(t0.Add(time.Duration(i) * time.Millisecond))
		}
		x, y, z := richid.New[testKind](a), richid.New[testKind](b), richid.New[testKind](c)
		if x != y {
			t.Fatalf("same clock and entropy gave %v and %v", x, y)
		}
		if x == z {
			t.Fatalf("different entropy gave the same ID %v", x)
		}
		if want := t0.Add(time.Duration(i/10*10) * time.Millisecond); !x.Time().Equal(want) {
			t.Fatalf("ID %d time = %v, want %v", i, x.Time(), want)
		}
	}
}

func TestGeneratorFreshEntropyEachMillisecond(t *testing.T) {
	clock := &fakeClock{t: t0}
	g := richid.NewGenerator(clock.now, constReader(0xAB))
	id := richid.New[testKind](g)
	u := id.UUID()
	if want := bytes.Repeat([]byte{0xAB}, 10); !bytes.Equal(u[6:], want) {
		t.Errorf("random part = %x, want %x", u[6:], want)
	}
	if got := id.ULID().Time(); got != uint64(t0.UnixMilli()) {
		t.Errorf("ms = %d, want %d", got, t0.UnixMilli())
	}
	// Same millisecond: previous random bits + 1 + 0xABABABAB.
	next := richid.New[testKind](g).UUID()
	if want := [10]byte{0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB + 1, 0x57, 0x57, 0x57, 0x57}; [10]byte(next[6:]) != want {
		t.Errorf("same-ms random part = %x, want %x", next[6:], want)
	}
}

func TestGeneratorMonotonicSameMillisecondAndClockBackwards(t *testing.T) {
	clock := &fakeClock{t: t0}
	g := richid.NewGenerator(clock.now, rand.NewChaCha8([32]byte{}))
	var ids []richid.ID[testKind]
	steps := []time.Duration{0, 0, 0, 5 * time.Millisecond, 5 * time.Millisecond, -time.Hour, -time.Hour,
		6 * time.Millisecond, 4 * time.Millisecond, 7 * time.Millisecond}
	for _, d := range steps {
		clock.set(t0.Add(d))
		ids = append(ids, richid.New[testKind](g))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i-1].Compare(ids[i]) >= 0 {
			t.Errorf("ID %d %v is not above ID %d %v", i, ids[i], i-1, ids[i-1])
		}
	}
	// While the clock is behind, the time stays at the latest seen.
	wantMS := []time.Duration{0, 0, 0, 5, 5, 5, 5, 6, 6, 7}
	for i, id := range ids {
		if want := t0.Add(wantMS[i] * time.Millisecond); !id.Time().Equal(want) {
			t.Errorf("ID %d time = %v, want %v", i, id.Time(), want)
		}
	}
}

func TestGeneratorOverflowBorrowsNextMillisecond(t *testing.T) {
	clock := &fakeClock{t: t0}
	// All-ones entropy: the first ID's 80 random bits are at their maximum, so the next one in the same
	// millisecond cannot be incremented (ulid.ErrMonotonicOverflow in oklog's terms).
	g := richid.NewGenerator(clock.now, constReader(0xFF))
	a := richid.New[testKind](g)
	b := richid.New[testKind](g)
	c := richid.New[testKind](g)
	if !strings.HasSuffix(a.String(), "ZZZZZZZZZZZZZZZZ") {
		t.Fatalf("first ID %v does not have all-ones random bits", a)
	}
	if a.Compare(b) >= 0 || b.Compare(c) >= 0 {
		t.Errorf("not increasing: %v %v %v", a, b, c)
	}
	// Each fresh draw is all ones again, so every ID borrows one more millisecond.
	if !b.Time().Equal(t0.Add(time.Millisecond)) || !c.Time().Equal(t0.Add(2*time.Millisecond)) {
		t.Errorf("after overflow times = %v, %v, want +1ms, +2ms", b.Time(), c.Time())
	}
	// Once the clock passes the borrowed time, the clock rules again.
	clock.set(t0.Add(10 * time.Millisecond))
	if d := richid.New[testKind](g); !d.Time().Equal(t0.Add(10 * time.Millisecond)) {
		t.Errorf("time after the clock caught up = %v", d.Time())
	}
}

func TestGeneratorClockOutOfRange(t *testing.T) {
	g := richid.NewGenerator(func() time.Time { return time.Unix(-5, 0) }, constReader(1))
	if id := richid.New[testKind](g); !id.Time().Equal(time.Unix(0, 0)) {
		t.Errorf("time before 1970 gave %v, want the epoch", id.Time())
	}
	far := richid.NewGenerator(func() time.Time { return time.UnixMilli(1 << 48) }, constReader(1))
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "beyond the ULID range") {
			t.Errorf("recover() = %v, want a panic about the ULID range", r)
		}
	}()
	richid.New[testKind](far)
}

func TestGeneratorRejectsNil(t *testing.T) {
	tests := map[string]func(){
		"nil clock":     func() { richid.NewGenerator(nil, constReader(0)) },
		"nil entropy":   func() { richid.NewGenerator(time.Now, nil) },
		"nil generator": func() { richid.New[testKind](nil) },
		"failing entropy": func() {
			richid.NewGenerator(time.Now, strings.NewReader("short")).Next()
		},
	}
	wants := map[string]string{
		"nil clock": "nil clock", "nil entropy": "nil entropy", "nil generator": "nil *Generator",
		"failing entropy": "richid: read entropy: unexpected EOF",
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r, _ := recover().(string)
				if !strings.Contains(r, wants[name]) {
					t.Errorf("panic %q does not contain %q", r, wants[name])
				}
			}()
			f()
		})
	}
}

func TestGeneratorConcurrent(t *testing.T) {
	const goroutines, perG = 8, 5000
	clock := &fakeClock{t: t0}
	g := richid.NewGenerator(clock.now, rand.NewChaCha8([32]byte{3}))
	var wg sync.WaitGroup
	results := make([][][16]byte, goroutines)
	for w := range goroutines {
		wg.Go(func() {
			ids := make([][16]byte, perG)
			for i := range ids {
				if w == 0 && i%500 == 0 { // the clock moves, backwards too, while others generate
					clock.set(t0.Add(time.Duration(i%1500) * time.Millisecond))
				}
				ids[i] = g.Next()
			}
			results[w] = ids
		})
	}
	wg.Wait()

	all := make([][16]byte, 0, goroutines*perG)
	for w, ids := range results {
		for i := 1; i < len(ids); i++ {
			if bytes.Compare(ids[i-1][:], ids[i][:]) >= 0 {
				t.Fatalf("goroutine %d: ID %d %x not above ID %d %x", w, i, ids[i], i-1, ids[i-1])
			}
		}
		all = append(all, ids...)
	}
	sort.Slice(all, func(i, j int) bool { return bytes.Compare(all[i][:], all[j][:]) < 0 })
	if n := len(slices.Compact(all)); n != goroutines*perG {
		t.Fatalf("%d unique IDs out of %d", n, goroutines*perG)
	}
}

// TestGeneratorGlobalOrder checks that generation order is byte order across goroutines: each ID is recorded
// with a sequence number taken under the same lock as the generation.
func TestGeneratorGlobalOrder(t *testing.T) {
	g := richid.NewGenerator(time.Now, rand.NewChaCha8([32]byte{4}))
	var mu sync.Mutex
	var seq [][16]byte
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 2000 {
				mu.Lock()
				seq = append(seq, g.Next())
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if !slices.IsSortedFunc(seq, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) }) {
		t.Fatal("IDs in generation order are not sorted")
	}
}

func TestDefault(t *testing.T) {
	if richid.Default() != richid.Default() {
		t.Fatal("Default() returned two generators")
	}
	before := time.Now().Truncate(time.Millisecond)
	a, b := richid.New[testKind](richid.Default()), richid.New[testKind](richid.Default())
	if a.Compare(b) >= 0 {
		t.Errorf("%v not below %v", a, b)
	}
	if a.Time().Before(before) || a.Time().After(time.Now()) {
		t.Errorf("default ID time %v is not now", a.Time())
	}
}

// countingReader returns the bytes 0, 1, 2, ... (mod 256) and records the size of each read.
type countingReader struct {
	next  byte
	reads []int
}

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	r.reads = append(r.reads, len(p))
	return len(p), nil
}

func TestGeneratorReadsEntropyInBlocks(t *testing.T) {
	clock := &fakeClock{t: t0}
	src := &countingReader{}
	g := richid.NewGenerator(clock.now, src)
	for i := range 30 {
		clock.set(t0.Add(time.Duration(i) * time.Millisecond)) // a new millisecond each time: 10 fresh bytes
		u := g.Next()
		// 25 IDs use the first 250 bytes of a 256-byte block; the 26th starts the next block.
		start := byte(i * 10)
		if i >= 25 {
			start = byte((i - 25) * 10) // 256 wraps to 0
		}
		for j, b := range u[6:] {
			if want := start + byte(j); b != want {
				t.Fatalf("ID %d random byte %d = %d, want %d", i, j, b, want)
			}
		}
	}
	if want := []int{256, 256}; !slices.Equal(src.reads, want) {
		t.Errorf("entropy reads = %v, want %v", src.reads, want)
	}
}
