package richid_test

import (
	"testing"

	"github.com/central/central/internal/richid"
	"github.com/oklog/ulid/v2"
	"go.jetify.com/typeid"
)

// The same ID in each library's text form.
const (
	benchRich   = "tenant-01H2XVNZ7C9NXWK3TMCRD9QWMN"
	benchULID   = "01H2XVNZ7C9NXWK3TMCRD9QWMN"
	benchTypeID = "tenant_01h2xvnz7c9nxwk3tmcrd9qwmn"
)

type tenantPrefix struct{}

func (tenantPrefix) Prefix() string { return "tenant" }

// typeidTenant is typeid's counterpart of TenantID.
type typeidTenant struct{ typeid.TypeID[tenantPrefix] }

var (
	sinkRich   richid.ID[tenantKind]
	sinkULID   ulid.ULID
	sinkAny    typeid.AnyID
	sinkTyped  typeidTenant
	sinkString string
	sinkBytes  []byte
	sinkErr    error
)

func BenchmarkParse(b *testing.B) {
	b.Run("lib=richid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkRich, sinkErr = richid.Parse[tenantKind](benchRich)
		}
	})
	b.Run("lib=richid/lowercase", func(b *testing.B) {
		b.ReportAllocs()
		s := "tenant-01h2xvnz7c9nxwk3tmcrd9qwmn"
		for b.Loop() {
			sinkRich, sinkErr = richid.Parse[tenantKind](s)
		}
	})
	b.Run("lib=richid/UnmarshalText", func(b *testing.B) {
		b.ReportAllocs()
		text := []byte(benchRich)
		var id TenantID
		for b.Loop() {
			sinkErr = id.UnmarshalText(text)
		}
	})
	b.Run("lib=ulid/ParseStrict", func(b *testing.B) { // no prefix: 26 characters only
		b.ReportAllocs()
		for b.Loop() {
			sinkULID, sinkErr = ulid.ParseStrict(benchULID)
		}
	})
	b.Run("lib=typeid/FromString", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkAny, sinkErr = typeid.FromString(benchTypeID)
		}
	})
	b.Run("lib=typeid/Parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkTyped, sinkErr = typeid.Parse[typeidTenant](benchTypeID)
		}
	})
}

func BenchmarkString(b *testing.B) {
	b.Run("lib=richid", func(b *testing.B) {
		b.ReportAllocs()
		id := richid.MustParse[tenantKind](benchRich)
		for b.Loop() {
			sinkString = id.String()
		}
	})
	b.Run("lib=richid/MarshalText", func(b *testing.B) {
		b.ReportAllocs()
		id := TenantID{richid.MustParse[tenantKind](benchRich)}
		for b.Loop() {
			sinkBytes, sinkErr = id.MarshalText()
		}
	})
	b.Run("lib=richid/UUIDString", func(b *testing.B) {
		b.ReportAllocs()
		id := richid.MustParse[tenantKind](benchRich)
		for b.Loop() {
			sinkString = id.UUIDString()
		}
	})
	b.Run("lib=ulid", func(b *testing.B) { // no prefix
		b.ReportAllocs()
		id := ulid.MustParseStrict(benchULID)
		for b.Loop() {
			sinkString = id.String()
		}
	})
	b.Run("lib=typeid", func(b *testing.B) {
		b.ReportAllocs()
		id := typeid.Must(typeid.FromString(benchTypeID))
		for b.Loop() {
			sinkString = id.String()
		}
	})
}

func BenchmarkNew(b *testing.B) {
	b.Run("lib=richid/Default", func(b *testing.B) {
		b.ReportAllocs()
		g := richid.Default()
		for b.Loop() {
			sinkRich = richid.New[tenantKind](g)
		}
	})
	b.Run("lib=richid/Default/parallel", func(b *testing.B) {
		b.ReportAllocs()
		g := richid.Default()
		b.RunParallel(func(pb *testing.PB) {
			var id richid.ID[tenantKind]
			for pb.Next() {
				id = richid.New[tenantKind](g)
			}
			_ = id
		})
	})
	b.Run("lib=ulid/Make", func(b *testing.B) { // monotonic too, with a locked reader
		b.ReportAllocs()
		for b.Loop() {
			sinkULID = ulid.Make()
		}
	})
	b.Run("lib=typeid/New", func(b *testing.B) { // UUIDv7, not monotonic
		b.ReportAllocs()
		for b.Loop() {
			sinkTyped, sinkErr = typeid.New[typeidTenant]()
		}
	})
}
