package replica_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/central/central/internal/replica"
)

func TestParseToken(t *testing.T) {
	tests := []struct {
		in      string
		want    replica.Token
		wantErr string // substring of the error; "" means success
	}{
		{in: "0/0", want: 0},
		{in: "0/3016038", want: 0x3016038},
		{in: "16/B374D848", want: 0x16_B374D848},
		{in: "16/b374d848", want: 0x16_B374D848},
		{in: "FFFFFFFF/FFFFFFFF", want: 0xFFFFFFFF_FFFFFFFF},
		{in: "00000001/00000000", want: 1 << 32},
		{in: "", wantErr: "separated by a slash"},
		{in: "16B374D848", wantErr: "separated by a slash"},
		{in: "/1", wantErr: "before the slash must have 1 to 8"},
		{in: "1/", wantErr: "after the slash must have 1 to 8"},
		{in: "1/2/3", wantErr: "after the slash has '/'"},
		{in: "123456789/0", wantErr: "before the slash must have 1 to 8"},
		{in: "G/0", wantErr: "before the slash has 'G'"},
		{in: "+1/0", wantErr: "before the slash has '+'"},
		{in: "-1/0", wantErr: "before the slash has '-'"},
		{in: "0x1/0", wantErr: "has 'x'"},
		{in: " 1/0", wantErr: "has ' '"},
		{in: strings.Repeat("a", 100), wantErr: `"` + strings.Repeat("a", 64) + `..."`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := replica.ParseToken(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseToken(%q) = %v, want error containing %q", tt.in, got, tt.wantErr)
				}
				if !errors.Is(err, replica.ErrInvalidToken) {
					t.Errorf("error %v does not wrap ErrInvalidToken", err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseToken(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseToken(%q) = %#x, want %#x", tt.in, uint64(got), uint64(tt.want))
			}
		})
	}
}

func TestTokenRoundTrip(t *testing.T) {
	for _, tok := range []replica.Token{0, 1, 0x3016038, 0x16_B374D848, 1 << 32, 0xFFFFFFFF_FFFFFFFF} {
		s := tok.String()
		back, err := replica.ParseToken(s)
		if err != nil {
			t.Fatalf("ParseToken(%q) from %#x: %v", s, uint64(tok), err)
		}
		if back != tok {
			t.Fatalf("round trip %#x -> %q -> %#x", uint64(tok), s, uint64(back))
		}
		text, err := tok.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var un replica.Token
		if err := un.UnmarshalText(text); err != nil || un != tok {
			t.Fatalf("UnmarshalText(%q) = %#x, %v; want %#x", text, uint64(un), err, uint64(tok))
		}
	}
}

func TestTokenUnmarshalTextKeepsValueOnError(t *testing.T) {
	tok := replica.Token(42)
	if err := tok.UnmarshalText([]byte("nope")); !errors.Is(err, replica.ErrInvalidToken) {
		t.Fatalf("UnmarshalText(nope) = %v, want ErrInvalidToken", err)
	}
	if tok != 42 {
		t.Fatalf("token changed to %v on error", tok)
	}
}

func ExampleParseToken() {
	tok, err := replica.ParseToken("16/B374D848")
	fmt.Println(tok, uint64(tok), err)

	_, err = replica.ParseToken("16-B374D848")
	fmt.Println(err)
	// Output:
	// 16/B374D848 97500059720 <nil>
	// replica: invalid token "16-B374D848": want two hexadecimal numbers separated by a slash, like 16/B374D848
}
