package seedengine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seedengine"
)

// These tests guard the edges the mutation tester (internal/tools/mutate)
// found unguarded; each names the deliberate bug it catches.

// TestEdgeReportString: several applied seeds are listed comma-separated,
// and warnings are counted. Bugs caught: the separator or the warning
// count dropped.
func TestEdgeReportString(t *testing.T) {
	r := seedengine.Report{
		Env:      config.Development,
		Applied:  []seedengine.Applied{{Name: "0001_a", Duration: 12 * time.Millisecond}, {Name: "0002_b", Duration: time.Millisecond}},
		Warnings: []string{"w1", "w2"},
	}
	want := "development: applied 0001_a (12ms), 0002_b (1ms); nothing pending; 2 warning(s)"
	if got := r.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

type failWriter struct{}

var errWrite = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

// TestEdgeWriteStatusReportsWriteErrors: a status table that could not be
// written is an error. Bug caught: the tabwriter's Flush error swallowed
// (`app db seed status > full-disk` exiting 0).
func TestEdgeWriteStatusReportsWriteErrors(t *testing.T) {
	if err := seedengine.WriteStatus(failWriter{}, []seedengine.StatusRow{{Name: "0001_a", Environment: "development", Pending: true}}); !errors.Is(err, errWrite) {
		t.Fatalf("WriteStatus to a failing writer: %v, want %v", err, errWrite)
	}
}

// TestEdgeMissingSeedsAreSorted: several seeds missing from the binary are
// named in order, whatever order the ledger map yields. Bug caught: the
// sort dropped (an error message that changes from run to run).
func TestEdgeMissingSeedsAreSorted(t *testing.T) {
	ctx := context.Background()
	names := []string{"PROD_0001_a", "PROD_0002_b", "PROD_0003_c", "PROD_0004_d", "PROD_0005_e", "PROD_0006_f"}
	db := newTxDB(t, newTestDB(t))
	if _, err := newRunner(t, db, config.Production, set(config.Production, "", names, nil)).Run(ctx, seedengine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, db, config.Production, set(config.Production, "", names[:1], nil))
	for i := range 5 { // map order varies between runs: try several
		_, err := r.Run(ctx, seedengine.RunOptions{})
		var me *seedengine.MissingError
		if !errors.As(err, &me) || fmt.Sprint(me.Names) != fmt.Sprint(names[1:]) {
			t.Fatalf("run %d: %v; want *MissingError naming %v in order", i, err, names[1:])
		}
	}
	ctxDone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.Status(ctxDone); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "read environment stamp") {
		t.Errorf("Status with an ended context: %v, want the read's error", err)
	}
}
