package jsonb_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/central/central/internal/jsonb"
)

func TestUserProfileValidate(t *testing.T) {
	attrs := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("k%d", i)] = "v"
		}
		return m
	}
	tests := []struct {
		name  string
		p     jsonb.UserProfile
		field string // "" when valid
	}{
		{"empty", jsonb.UserProfile{}, ""},
		{"full", jsonb.UserProfile{Locale: "zh-Hant-TW", TimeZone: "America/Argentina/Buenos_Aires", Title: "Staff engineer — compilers", Attributes: map[string]string{"team": "compilers", "cost.center": "42"}}, ""},
		{"utc", jsonb.UserProfile{TimeZone: "UTC"}, ""},
		{"max attributes", jsonb.UserProfile{Attributes: attrs(jsonb.MaxProfileAttributes)}, ""},
		{"locale with spaces", jsonb.UserProfile{Locale: "en GB"}, "locale"},
		{"locale too long", jsonb.UserProfile{Locale: "en-" + strings.Repeat("a-", 20) + "a"}, "locale"},
		{"time zone path", jsonb.UserProfile{TimeZone: "../etc/passwd"}, "time_zone"},
		{"time zone absolute", jsonb.UserProfile{TimeZone: "/etc/localtime"}, "time_zone"},
		{"title NUL", jsonb.UserProfile{Title: "a\x00"}, "title"},
		{"title newline", jsonb.UserProfile{Title: "a\nb"}, "title"},
		{"title too long", jsonb.UserProfile{Title: strings.Repeat("é", jsonb.MaxProfileTitleLen+1)}, "title"},
		{"title bad UTF-8", jsonb.UserProfile{Title: "\xc3"}, "title"},
		{"too many attributes", jsonb.UserProfile{Attributes: attrs(jsonb.MaxProfileAttributes + 1)}, "attributes"},
		{"upper-case key", jsonb.UserProfile{Attributes: map[string]string{"Team": "x"}}, "attributes"},
		{"empty key", jsonb.UserProfile{Attributes: map[string]string{"": "x"}}, "attributes"},
		{"empty value", jsonb.UserProfile{Attributes: map[string]string{"team": ""}}, "attributes.team"},
		{"value NUL", jsonb.UserProfile{Attributes: map[string]string{"team": "\x00"}}, "attributes.team"},
		{"value too long", jsonb.UserProfile{Attributes: map[string]string{"team": strings.Repeat("x", jsonb.MaxProfileAttributeLen+1)}}, "attributes.team"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			var pe *jsonb.ProfileError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("valid profile refused: %v", err)
			case tt.field != "" && (!errors.As(err, &pe) || pe.Field != tt.field):
				t.Fatalf("err = %v, want a *ProfileError on %s", err, tt.field)
			case err != nil && len(err.Error()) > 200:
				t.Fatalf("error of %d bytes echoes the input: %v", len(err.Error()), err)
			}
		})
	}
}

func ExampleUserProfile_Validate() {
	p := jsonb.UserProfile{Locale: "en-GB", Attributes: map[string]string{"team": ""}}
	fmt.Println(p.Validate())
	// Output: profile attributes.team: empty value: remove the attribute instead
}
