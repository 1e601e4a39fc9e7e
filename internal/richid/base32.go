package richid

// crockford is the Crockford base32 alphabet used by ULID: digits and uppercase letters without I, L, O and U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// invalid marks bytes outside the alphabet in decTable; every valid entry is below 32, so OR-ing the entries of a
// whole string and testing the high bits checks all characters without a branch per character.
const invalid = 0xFF

// decTable maps a byte to its base32 value (either case) or invalid. It is built once and never written after.
var decTable = func() (t [256]byte) {
	for i := range t {
		t[i] = invalid
	}
	for i := 0; i < len(crockford); i++ {
		c := crockford[i]
		t[c] = byte(i)
		if c >= 'A' && c <= 'Z' {
			t[c+'a'-'A'] = byte(i)
		}
	}
	return t
}()

// encodeBase32 writes the 26-character Crockford base32 form of u to dst. The first character carries the top 3
// bits, so it is always '0'..'7'.
func encodeBase32(dst *[26]byte, u *[16]byte) {
	dst[0] = crockford[(u[0]&224)>>5]
	dst[1] = crockford[u[0]&31]
	dst[2] = crockford[(u[1]&248)>>3]
	dst[3] = crockford[((u[1]&7)<<2)|((u[2]&192)>>6)]
	dst[4] = crockford[(u[2]&62)>>1]
	dst[5] = crockford[((u[2]&1)<<4)|((u[3]&240)>>4)]
	dst[6] = crockford[((u[3]&15)<<1)|((u[4]&128)>>7)]
	dst[7] = crockford[(u[4]&124)>>2]
	dst[8] = crockford[((u[4]&3)<<3)|((u[5]&224)>>5)]
	dst[9] = crockford[u[5]&31]
	dst[10] = crockford[(u[6]&248)>>3]
	dst[11] = crockford[((u[6]&7)<<2)|((u[7]&192)>>6)]
	dst[12] = crockford[(u[7]&62)>>1]
	dst[13] = crockford[((u[7]&1)<<4)|((u[8]&240)>>4)]
	dst[14] = crockford[((u[8]&15)<<1)|((u[9]&128)>>7)]
	dst[15] = crockford[(u[9]&124)>>2]
	dst[16] = crockford[((u[9]&3)<<3)|((u[10]&224)>>5)]
	dst[17] = crockford[u[10]&31]
	dst[18] = crockford[(u[11]&248)>>3]
	dst[19] = crockford[((u[11]&7)<<2)|((u[12]&192)>>6)]
	dst[20] = crockford[(u[12]&62)>>1]
	dst[21] = crockford[((u[12]&1)<<4)|((u[13]&240)>>4)]
	dst[22] = crockford[((u[13]&15)<<1)|((u[14]&128)>>7)]
	dst[23] = crockford[(u[14]&124)>>2]
	dst[24] = crockford[((u[14]&3)<<3)|((u[15]&224)>>5)]
	dst[25] = crockford[u[15]&31]
}

// parseRich decodes s into u when s is exactly prefix p, '-', and 26 Crockford base32 characters (either case),
// without allocating; u is written only on success. It reports false when anything is off, including a value
// that overflows 128 bits (first base32 character above '7'); parseFailure then works out what. It is not
// generic, so that it compiles to plain string code; it writes through u to avoid copying the result; and it is
// unrolled like oklog/ulid's decoder, because Parse is on every request path. Validation ORs the table entries
// instead of branching on each character.
func parseRich(u *[16]byte, s, p string) bool {
	n := len(p)
	if len(s) != n+27 || s[n] != '-' || s[:n] != p {
		return false
	}
	s = s[n+1:]
	_ = s[25]
	t := &decTable
	// Independent ORs in groups, so the loads are not one long dependency chain.
	if (((t[s[0]]|t[s[1]])|(t[s[2]]|t[s[3]])|(t[s[4]]|t[s[5]])|(t[s[6]]|t[s[7]]))|
		((t[s[8]]|t[s[9]])|(t[s[10]]|t[s[11]])|(t[s[12]]|t[s[13]])|(t[s[14]]|t[s[15]]))|
		((t[s[16]]|t[s[17]])|(t[s[18]]|t[s[19]])|(t[s[20]]|t[s[21]])|(t[s[22]]|t[s[23]])|(t[s[24]]|t[s[25]])))&0xE0 != 0 || t[s[0]] > 7 {
		return false
	}
	u[0] = t[s[0]]<<5 | t[s[1]]
	u[1] = t[s[2]]<<3 | t[s[3]]>>2
	u[2] = t[s[3]]<<6 | t[s[4]]<<1 | t[s[5]]>>4
	u[3] = t[s[5]]<<4 | t[s[6]]>>1
	u[4] = t[s[6]]<<7 | t[s[7]]<<2 | t[s[8]]>>3
	u[5] = t[s[8]]<<5 | t[s[9]]
	u[6] = t[s[10]]<<3 | t[s[11]]>>2
	u[7] = t[s[11]]<<6 | t[s[12]]<<1 | t[s[13]]>>4
	u[8] = t[s[13]]<<4 | t[s[14]]>>1
	u[9] = t[s[14]]<<7 | t[s[15]]<<2 | t[s[16]]>>3
	u[10] = t[s[16]]<<5 | t[s[17]]
	u[11] = t[s[18]]<<3 | t[s[19]]>>2
	u[12] = t[s[19]]<<6 | t[s[20]]<<1 | t[s[21]]>>4
	u[13] = t[s[21]]<<4 | t[s[22]]>>1
	u[14] = t[s[22]]<<7 | t[s[23]]<<2 | t[s[24]]>>3
	u[15] = t[s[24]]<<5 | t[s[25]]
	return true
}

const hexDigits = "0123456789abcdef"

// uuidPos is where each byte's two hex digits go in the 8-4-4-4-12 form.
var uuidPos = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// encodeUUID writes the canonical 8-4-4-4-12 lowercase hex form of u to dst.
func encodeUUID(dst *[36]byte, u *[16]byte) {
	for i, b := range u {
		p := uuidPos[i]
		dst[p] = hexDigits[b>>4]
		dst[p+1] = hexDigits[b&0xF]
	}
	dst[8], dst[13], dst[18], dst[23] = '-', '-', '-', '-'
}

// parseUUID parses the canonical 8-4-4-4-12 hex form (either case). On failure it returns a reason.
func parseUUID[T string | []byte](s T) (u [16]byte, reason string) {
	if len(s) != 36 {
		return u, reasonUUIDLength(len(s))
	}
	j := 0
	for i := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			if s[j] != '-' {
				return u, reasonUUIDChar(s[j], j)
			}
			j++
		}
		hi, lo := unhex(s[j]), unhex(s[j+1])
		if hi > 15 {
			return u, reasonUUIDChar(s[j], j)
		}
		if lo > 15 {
			return u, reasonUUIDChar(s[j+1], j+1)
		}
		u[i] = hi<<4 | lo
		j += 2
	}
	return u, ""
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0xFF
}
