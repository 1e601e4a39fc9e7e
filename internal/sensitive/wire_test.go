package sensitive

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// randomWire returns an envelope as marshal builds it, with random byte
// fields (nil and empty among them) and, often, a place with an awkward
// name.
func randomWire(r *rand.Rand) wireEnvelope {
	bs := func() []byte {
		switch r.IntN(8) {
		case 0:
			return nil
		case 1:
			return []byte{}
		}
		b := make([]byte, r.IntN(200))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	names := []string{"users", "idp_user_info", "oidc_connectors", "a<b", "c>d", "e&f", `q"uo\te`, "tab\tle", "ünïcode", "\u2028sep", "x\x7fdel", "bad\xffutf8"}
	w := wireEnvelope{wireHeader: wireHeader{V: r.IntN(4), KID: []string{"local-2026", "k", "a.b_c-d", ""}[r.IntN(4)], KVer: r.IntN(1 << 31)},
		WDK: bs(), N: bs(), CT: bs()}
	if r.IntN(3) > 0 {
		w.Tbl, w.Col = names[r.IntN(len(names))], names[r.IntN(len(names))]
		w.Row = formatUUID([16]byte{byte(r.Uint32()), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, byte(r.Uint32())})
	}
	return w
}

// TestWireMatchesEncodingJSON: the hand-written encoder writes exactly what
// json.Marshal wrote before it, so stored envelopes do not change shape.
// Deliberate bug caught: appendString without the '<' '>' '&' escapes
// (json.Marshal writes \u003c), or appendBytes writing "" for a nil slice.
func TestWireMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		w := randomWire(r)
		want, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendEnvelope(nil, &w); !bytes.Equal(got, want) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// jsonbText renders an envelope the way PostgreSQL's jsonb output does
// (members sorted by key length then bytes, ", " and ": " separators):
// what the rekey job and every read of a sealed column scan.
func jsonbText(t *testing.T, compact []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(compact, &m); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if len(keys[j]) < len(keys[i]) || len(keys[j]) == len(keys[i]) && keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteString(": ")
		b.Write(m[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// parseInputs are envelopes in their stored forms and variants that the
// fast parser must either decode as encoding/json does or hand over to it.
func parseInputs(t *testing.T) (fast, other [][]byte) {
	t.Helper()
	row := formatUUID([16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	good := wireEnvelope{wireHeader: wireHeader{V: 2, KID: "local-2026", KVer: 3}, Tbl: "users", Col: "idp_user_info", Row: row,
		WDK: bytes.Repeat([]byte{0xfb}, 72), N: bytes.Repeat([]byte{0xff}, 12), CT: bytes.Repeat([]byte{0x3e}, 40)}
	compact := appendEnvelope(nil, &good)
	v1 := good
	v1.V, v1.Tbl, v1.Col, v1.Row = 1, "", "", ""
	compactV1 := appendEnvelope(nil, &v1)
	fast = [][]byte{compact, jsonbText(t, compact), compactV1, jsonbText(t, compactV1),
		[]byte(" \t\r\n" + string(compact) + "\n "), []byte(`{}`), []byte(`{ }`),
		[]byte(`{"v":0,"kid":"","kver":0}`), []byte(`{"wdk":"","n":"","ct":""}`), []byte(`{"v":999999999}`)}
	s := string(compact)
	other = [][]byte{
		[]byte(strings.Replace(s, `"kid"`, `"KID"`, 1)),                          // encoding/json matches names case-insensitively
		[]byte(strings.Replace(s, `"kid"`, `"k\u0069d"`, 1)),                     // escaped name
		[]byte(strings.Replace(s, `"local-2026"`, `"local\u002d2026"`, 1)),       // escaped value
		[]byte(strings.Replace(s, `"users"`, `"us\/ers"`, 1)),                    // escaped solidus
		[]byte(strings.Replace(s, `"users"`, `"usérs"`, 1)),                      // non-ASCII name
		[]byte(strings.Replace(s, `"users"`, "\"us\xffers\"", 1)),                // invalid UTF-8 (encoding/json replaces it)
		[]byte(strings.Replace(s, `{`, `{"extra":[1,{"a":null}],`, 1)),           // unknown member
		[]byte(strings.Replace(s, `{`, `{"v":1,`, 1)),                            // repeated member: the last wins
		[]byte(strings.Replace(s, `"v":2`, `"v":2.0`, 1)),                        // not an integer
		[]byte(strings.Replace(s, `"v":2`, `"v":2e0`, 1)),                        // exponent
		[]byte(strings.Replace(s, `"v":2`, `"v":-2`, 1)),                         // sign
		[]byte(strings.Replace(s, `"v":2`, `"v":02`, 1)),                         // leading zero: invalid JSON
		[]byte(strings.Replace(s, `"kver":3`, `"kver":12345678901234567890`, 1)), // overflow
		[]byte(strings.Replace(s, `"kver":3`, `"kver":"3"`, 1)),                  // string for a number
		[]byte(strings.Replace(s, `"kver":3`, `"kver":null`, 1)),                 // null
		[]byte(strings.Replace(s, `"wdk":"`, `"wdk":null,"x":"`, 1)),             // null bytes
		[]byte(strings.Replace(s, `"n":"`, `"n":"!`, 1)),                         // not base64
		[]byte(strings.Replace(s, `"n":"`, "\"n\":\"\n", 1)),                     // control character
		[]byte(strings.Replace(s, `"kid":"local-2026"`, `"kid":3`, 1)),           // number for a string
		[]byte(s + `x`), []byte(s + `{}`), []byte(s[:len(s)-1]), []byte(`[` + s + `]`), // not one object
		[]byte(`null`), []byte(``), []byte(`"x"`), []byte(`{,}`), []byte(`{"v":2,}`), []byte(`{"v" 2}`),
	}
	return fast, other
}

// TestFastParseAgreesWithEncodingJSON: whatever the fast parser accepts it
// decodes exactly as json.Unmarshal into wireEnvelope does, and the stored
// forms (compact, and PostgreSQL's jsonb text) take the fast path.
// Deliberate bug caught: decoding "n" into WDK (fields swapped). (Matching
// names case-insensitively, or without the repeat check, turned out
// equivalent here: a repeated name falls back, and encoding/json also
// keeps the last.)
func TestFastParseAgreesWithEncodingJSON(t *testing.T) {
	fast, other := parseInputs(t)
	for _, in := range fast {
		var w wireEnvelope
		if !fastParse(in, &w) {
			t.Errorf("fast path refused %s", in)
			continue
		}
		agree(t, in, w)
	}
	for _, in := range other {
		var w wireEnvelope
		if fastParse(in, &w) {
			agree(t, in, w)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		w := randomWire(r)
		in := appendEnvelope(nil, &w)
		for _, b := range [][]byte{in, jsonbText(t, in)} {
			var got wireEnvelope
			if fastParse(b, &got) {
				agree(t, b, got)
			} else if ascii([]byte(w.Tbl+w.Col)) && !strings.ContainsAny(w.Tbl+w.Col, "<>&\"\\\t\x7f") && w.WDK != nil && w.N != nil && w.CT != nil {
				t.Errorf("fast path refused plain envelope %s", b)
			}
		}
	}
}

// agree fails unless json.Unmarshal decodes in without error into got.
func agree(t *testing.T, in []byte, got wireEnvelope) {
	t.Helper()
	var want wireEnvelope
	if err := json.Unmarshal(in, &want); err != nil {
		t.Errorf("fast path accepted %q, which encoding/json refuses: %v", in, err)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q:\nfast %#v\njson %#v", in, got, want)
	}
}

// TestFastParseKeepsFieldsApart: the three byte fields share one buffer;
// appending to one must not overwrite the next. Deliberate bug caught:
// slicing buf[:n] without capping the capacity (buf[:n:n]).
func TestFastParseKeepsFieldsApart(t *testing.T) {
	in := []byte(`{"v":2,"kid":"k","kver":1,"wdk":"` + base64.StdEncoding.EncodeToString([]byte("wrapped")) +
		`","n":"` + base64.StdEncoding.EncodeToString([]byte("nonce-12byte")) + `","ct":"` + base64.StdEncoding.EncodeToString([]byte("ciphertext-and-tag")) + `"}`)
	var w wireEnvelope
	if !fastParse(in, &w) {
		t.Fatal("fast path refused a plain envelope")
	}
	_ = append(w.WDK, 'X', 'X', 'X')
	_ = append(w.N, 'Y', 'Y', 'Y')
	if string(w.N) != "nonce-12byte" || string(w.CT) != "ciphertext-and-tag" {
		t.Fatalf("fields overlap: n=%q ct=%q", w.N, w.CT)
	}
}

// FuzzFastParse: on any input, the fast parser either refuses or agrees
// with encoding/json.
func FuzzFastParse(f *testing.F) {
	fast, other := parseInputs(&testing.T{})
	for _, in := range append(fast, other...) {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var w wireEnvelope
		if fastParse(in, &w) {
			agree(t, in, w)
		}
	})
}
