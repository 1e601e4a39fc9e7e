package seedengine_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seedengine"
)

func ExampleWriteStatus() {
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	_ = seedengine.WriteStatus(os.Stdout, []seedengine.StatusRow{
		{Name: "0001_technova", Environment: config.Development, AppliedAt: at, HashOK: true},
		{Name: "0002_more", Environment: config.Development, AppliedAt: at},
		{Name: "0003_gone", Environment: config.Development, AppliedAt: at, Missing: true},
		{Name: "0004_new", Environment: config.Development, Pending: true},
	})
	// Output:
	// NAME           ENVIRONMENT  APPLIED AT            HASH
	// 0001_technova  development  2026-11-27T03:00:00Z  ok
	// 0002_more      development  2026-11-27T03:00:00Z  CHANGED
	// 0003_gone      development  2026-11-27T03:00:00Z  MISSING
	// 0004_new       development  pending               -
}

func ExampleReport_String() {
	fmt.Println(seedengine.Report{Env: config.Development,
		Applied: []seedengine.Applied{{Name: "0001_technova", Duration: 12 * time.Millisecond}},
		Pending: []string{"0002_fails", "0003_more"}})
	fmt.Println(seedengine.Report{Env: config.Production})
	// Output:
	// development: applied 0001_technova (12ms); pending: 0002_fails, 0003_more
	// production: applied nothing; nothing pending
}

func TestLogWriter(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	w := &seedengine.LogWriter{Log: zap.New(core)}
	for _, chunk := range []string{"seed 0001_a: st", "art\nwarning: something off\nseed 0001_a: done", " in 3ms\npartial"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	var got bytes.Buffer
	for _, e := range logs.All() {
		fmt.Fprintf(&got, "%s %s\n", e.Level, e.Message)
	}
	want := "info seed 0001_a: start\nwarn something off\ninfo seed 0001_a: done in 3ms\n"
	if got.String() != want {
		t.Errorf("logged:\n%s\nwant:\n%s", got.String(), want)
	}
}
