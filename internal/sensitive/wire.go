package sensitive

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// The envelope's JSON is read and written on every sealed column value
// (`app db rekey` does both for each row), and encoding/json, reflecting
// over wireEnvelope, was about half of the job's Go CPU. fastParse and
// appendEnvelope handle the shape PostgreSQL and this package produce by
// hand; anything else goes through encoding/json, so the format's meaning
// is encoding/json's:
//
//   - fastParse accepts a strict subset (one object; the known member names
//     spelled exactly, each at most once; integers without sign, fraction
//     or exponent; strings without escapes or control characters, ASCII
//     where not base64) and for that subset yields what json.Unmarshal into
//     wireEnvelope yields. On anything else it reports false and
//     parseEnvelope falls back to json.Unmarshal (and its error messages).
//   - appendEnvelope writes what json.Marshal(wireEnvelope) writes, byte
//     for byte (TestWireMatchesEncodingJSON compares both on random and
//     awkward envelopes).

// fastParse parses b into w (see above); false means "not in the subset",
// never "invalid": the caller then uses encoding/json.
func fastParse(b []byte, w *wireEnvelope) bool {
	p := parser{b: b}
	p.ws()
	if !p.eat('{') {
		return false
	}
	var seen uint16
	var wdk, n, ct []byte // base64 text, decoded together at the end
	p.ws()
	if !p.eat('}') {
		for {
			p.ws()
			key, ok := p.str()
			if !ok {
				return false
			}
			p.ws()
			if !p.eat(':') {
				return false
			}
			p.ws()
			bit, ok := memberBit(key)
			if !ok || seen&bit != 0 {
				return false // unknown, other case, or repeated: encoding/json decides
			}
			seen |= bit
			switch bit {
			case bitV, bitKVer:
				v, ok := p.uint()
				if !ok {
					return false
				}
				if bit == bitV {
					w.V = v
				} else {
					w.KVer = v
				}
			default:
				s, ok := p.str()
				if !ok {
					return false
				}
				switch bit {
				case bitWDK:
					wdk = s
				case bitN:
					n = s
				case bitCT:
					ct = s
				default:
					if !ascii(s) { // encoding/json would replace invalid UTF-8
						return false
					}
					switch bit {
					case bitKID:
						w.KID = string(s)
					case bitTbl:
						w.Tbl = string(s)
					case bitCol:
						w.Col = string(s)
					case bitRow:
						w.Row = string(s)
					}
				}
			}
			p.ws()
			if p.eat('}') {
				break
			}
			if !p.eat(',') {
				return false
			}
		}
	}
	p.ws()
	if p.i != len(p.b) {
		return false
	}
	// One allocation for the three byte fields; each keeps its own
	// capacity, so appending to one cannot overwrite the next.
	enc := base64.StdEncoding
	buf := make([]byte, enc.DecodedLen(len(wdk))+enc.DecodedLen(len(n))+enc.DecodedLen(len(ct)))
	var ok bool
	if w.WDK, buf, ok = decode64(buf, wdk, seen&bitWDK != 0); !ok {
		return false
	}
	if w.N, buf, ok = decode64(buf, n, seen&bitN != 0); !ok {
		return false
	}
	if w.CT, _, ok = decode64(buf, ct, seen&bitCT != 0); !ok {
		return false
	}
	return true
}

// decode64 decodes src into the front of buf (as encoding/json does for a
// []byte field: absent stays nil, "" is empty, not nil) and returns the
// rest of buf.
func decode64(buf, src []byte, present bool) (out, rest []byte, ok bool) {
	if !present {
		return nil, buf, true
	}
	n, err := base64.StdEncoding.Decode(buf, src)
	if err != nil {
		return nil, nil, false
	}
	return buf[:n:n], buf[n:], true
}

const (
	bitV uint16 = 1 << iota
	bitKID
	bitKVer
	bitTbl
	bitCol
	bitRow
	bitWDK
	bitN
	bitCT
)

func memberBit(key []byte) (uint16, bool) {
	switch string(key) { // no allocation: the compiler compares in place
	case "v":
		return bitV, true
	case "kid":
		return bitKID, true
	case "kver":
		return bitKVer, true
	case "tbl":
		return bitTbl, true
	case "col":
		return bitCol, true
	case "row":
		return bitRow, true
	case "wdk":
		return bitWDK, true
	case "n":
		return bitN, true
	case "ct":
		return bitCT, true
	}
	return 0, false
}

type parser struct {
	b []byte
	i int
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters and returns
// its bytes (a slice of the input).
func (p *parser) str() ([]byte, bool) {
	if !p.eat('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return p.b[start : p.i-1], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// uint reads an integer from 0 to 2^31-1 (so it fits an int on every
// platform) without a leading zero, sign, fraction or exponent, followed
// by a delimiter.
func (p *parser) uint() (int, bool) {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	digits := p.b[start:p.i]
	if len(digits) == 0 || len(digits) > 10 || (digits[0] == '0' && len(digits) > 1) {
		return 0, false
	}
	if p.i < len(p.b) {
		switch p.b[p.i] {
		case ',', '}', ' ', '\t', '\n', '\r':
		default:
			return 0, false // 1.5, 1e3, 1x...
		}
	}
	var v int64
	for _, c := range digits {
		v = v*10 + int64(c-'0')
	}
	if v > 1<<31-1 {
		return 0, false
	}
	return int(v), true
}

func ascii(s []byte) bool {
	for _, c := range s {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// appendEnvelope appends json.Marshal(w)'s bytes to dst.
func appendEnvelope(dst []byte, w *wireEnvelope) []byte {
	dst = append(dst, `{"v":`...)
	dst = strconv.AppendInt(dst, int64(w.V), 10)
	dst = append(dst, `,"kid":`...)
	dst = appendString(dst, w.KID)
	dst = append(dst, `,"kver":`...)
	dst = strconv.AppendInt(dst, int64(w.KVer), 10)
	if w.Tbl != "" {
		dst = append(dst, `,"tbl":`...)
		dst = appendString(dst, w.Tbl)
	}
	if w.Col != "" {
		dst = append(dst, `,"col":`...)
		dst = appendString(dst, w.Col)
	}
	if w.Row != "" {
		dst = append(dst, `,"row":`...)
		dst = appendString(dst, w.Row)
	}
	dst = append(dst, `,"wdk":`...)
	dst = appendBytes(dst, w.WDK)
	dst = append(dst, `,"n":`...)
	dst = appendBytes(dst, w.N)
	dst = append(dst, `,"ct":`...)
	dst = appendBytes(dst, w.CT)
	return append(dst, '}')
}

// appendString quotes s as encoding/json does: printable ASCII other than
// the characters it escapes goes as is; anything else is left to it.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always encodes
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendBytes writes b as encoding/json does: null when nil, else a
// standard base64 string.
func appendBytes(dst, b []byte) []byte {
	if b == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// envelopeLen is an upper bound of appendEnvelope's output for w when its
// strings need no escaping (a capacity hint only).
func envelopeLen(w *wireEnvelope) int {
	enc := base64.StdEncoding
	return 96 + len(w.KID) + len(w.Tbl) + len(w.Col) + len(w.Row) + enc.EncodedLen(len(w.WDK)) + enc.EncodedLen(len(w.N)) + enc.EncodedLen(len(w.CT))
}
