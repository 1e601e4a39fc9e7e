package sensitive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/sensitive"
)

// privateView is how services carry a sensitive value next to public fields.
type privateView struct {
	Name   string                         `json:"name"`
	Info   sensitive.Sensitive[secretDoc] `json:"info"`
	Secret sensitive.Sensitive[string]    `json:"secret"`
	Ptr    *sensitive.Sensitive[secretDoc]
}

func TestSensitiveRedaction(t *testing.T) {
	s := sensitive.New(doc)
	str := sensitive.New("client-secret-PLAINTEXT")
	view := privateView{Name: "visible-name", Info: s, Secret: str, Ptr: &s}

	if s.Reveal().Subject != doc.Subject || str.Reveal() != "client-secret-PLAINTEXT" || !s.IsSet() {
		t.Fatal("Reveal lost the value")
	}

	jsonView, err := json.Marshal(view)
	if err != nil {
		t.Fatal(err)
	}
	jsonMap, _ := json.Marshal(map[string]any{"k": s})
	text, _ := s.MarshalText()

	cases := map[string]string{
		"String":      s.String(),
		"%v":          fmt.Sprintf("%v", s),
		"%+v":         fmt.Sprintf("%+v", s),
		"%#v":         fmt.Sprintf("%#v", s),
		"%s":          fmt.Sprintf("%s", s),
		"%q":          fmt.Sprintf("%q", s),
		"%x":          fmt.Sprintf("%x", s),
		"%d":          fmt.Sprintf("%d", s),
		"string %v":   fmt.Sprintf("%v", str),
		"string %x":   fmt.Sprintf("%x", str),
		"view %v":     fmt.Sprintf("%v", view),
		"view %+v":    fmt.Sprintf("%+v", view),
		"view %#v":    fmt.Sprintf("%#v", view),
		"view ptr %v": fmt.Sprintf("%+v", &view),
		"slice %v":    fmt.Sprintf("%v", []sensitive.Sensitive[string]{str}),
		"JSON view":   string(jsonView),
		"JSON map":    string(jsonMap),
		"MarshalText": string(text),
		"error %v":    fmt.Errorf("wrap %v", s).Error(),
	}
	for name, out := range cases {
		t.Run(name, func(t *testing.T) {
			assertNoLeak(t, name, out)
			if strings.Contains(out, "client-secret") {
				t.Errorf("%s leaks the string secret: %s", name, out)
			}
			if !strings.Contains(out, sensitive.Redacted) {
				t.Errorf("%s does not say it redacted: %s", name, out)
			}
		})
	}
	if !strings.Contains(string(jsonView), `"name":"visible-name"`) {
		t.Errorf("redaction hid public fields too: %s", jsonView)
	}

	// A redacted document cannot be read back as a value.
	var back privateView
	if err := json.Unmarshal(jsonView, &back); err == nil {
		t.Error("unmarshaling a redacted view succeeded")
	}
}

func TestSensitiveRedactionZap(t *testing.T) {
	s := sensitive.New(doc)
	view := privateView{Name: "n", Info: s, Secret: sensitive.New("client-secret-PLAINTEXT")}
	var buf bytes.Buffer
	for _, enc := range []zapcore.Encoder{
		zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
	} {
		log := zap.New(zapcore.NewCore(enc, zapcore.AddSync(&buf), zap.DebugLevel))
		log.Info("user",
			zap.Any("any", s),
			zap.Object("object", s),
			zap.Stringer("stringer", s),
			zap.Reflect("reflect", s),
			zap.Reflect("view", view),
			zap.Any("view_any", view),
			zap.Any("ptr", &s),
			zap.Any("slice", []sensitive.Sensitive[secretDoc]{s}),
		)
		_ = log.Sync()
	}
	out := buf.String()
	assertNoLeak(t, "zap output", out)
	if strings.Contains(out, "client-secret") {
		t.Errorf("zap leaks: %s", out)
	}
	if strings.Count(out, sensitive.Redacted) < 16 {
		t.Errorf("zap output is missing redaction marks: %s", out)
	}

	// The observer keeps fields as values; encoding them must redact too.
	core, logs := observer.New(zap.DebugLevel)
	zap.New(core).Info("x", zap.Any("s", s))
	for _, e := range logs.All() {
		enc := zapcore.NewMapObjectEncoder()
		for _, f := range e.Context {
			f.AddTo(enc)
		}
		assertNoLeak(t, "zap map encoder", fmt.Sprint(enc.Fields))
	}
}

func TestSensitiveRedactionSlog(t *testing.T) {
	s := sensitive.New(doc)
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		log := slog.New(h)
		log.Info("user", "info", s, slog.Any("any", s), slog.Group("g", "nested", s), "view", privateView{Info: s})
	}
	out := buf.String()
	assertNoLeak(t, "slog output", out)
	if strings.Count(out, sensitive.Redacted) < 8 {
		t.Errorf("slog output is missing redaction marks: %s", out)
	}
}

func TestSealedRedaction(t *testing.T) {
	ctx := context.Background()
	kr := newKeyring(t, ref("local", 4), map[sensitive.KeyRef][]byte{ref("local", 4): randomKey(t)})
	sealed, err := sensitive.Seal(ctx, kr, doc)
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := json.Marshal(sealed)
	var env struct {
		CT string `json:"ct"`
	}
	_ = json.Unmarshal(ct, &env)

	var zbuf, sbuf bytes.Buffer
	zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&zbuf), zap.DebugLevel)).
		Info("x", zap.Any("sealed", sealed), zap.Stringer("str", sealed))
	slog.New(slog.NewJSONHandler(&sbuf, nil)).Info("x", "sealed", sealed)

	outs := map[string]string{
		"String":           sealed.String(),
		"%v":               fmt.Sprintf("%v", sealed),
		"%+v":              fmt.Sprintf("%+v", sealed),
		"%#v":              fmt.Sprintf("%#v", sealed),
		"RedactedLogValue": sealed.RedactedLogValue(),
		"zap":              zbuf.String(),
		"slog":             sbuf.String(),
	}
	for name, out := range outs {
		if strings.Contains(out, env.CT[:12]) {
			t.Errorf("%s prints the ciphertext: %s", name, out)
		}
		if !strings.Contains(out, "[SEALED local:4]") {
			t.Errorf("%s = %s, want [SEALED local:4]", name, out)
		}
	}
	// The SQL logger looks for this interface.
	var _ interface{ RedactedLogValue() string } = sealed
	var _ interface{ RedactedLogValue() string } = sensitive.New(1)
	if got := fmt.Sprint(sensitive.Sealed[int]{}); got != "[SEALED null]" {
		t.Errorf("zero Sealed prints %q", got)
	}
}

func TestSensitiveRefusesDatabaseWrite(t *testing.T) {
	_, err := sensitive.New(doc).Value()
	if !errors.Is(err, sensitive.ErrPlaintextWrite) {
		t.Fatalf("Value() error = %v", err)
	}
}
