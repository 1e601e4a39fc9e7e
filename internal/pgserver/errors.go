package pgserver

import (
	"errors"
	"fmt"
)

// ErrBinariesNotFound is returned by FindBinDir and Start when no directory
// holding the PostgreSQL server binaries (initdb, postgres) can be found.
var ErrBinariesNotFound = errors.New("pgserver: PostgreSQL server binaries not found")

// ErrAlreadyRunning is matched (errors.Is) by the *RunningError that Start and
// StartReplica return when another postmaster or launcher uses the data directory.
var ErrAlreadyRunning = errors.New("pgserver: data directory already in use")

// ErrPortInUse is matched (errors.Is) by the *PortInUseError that Start and
// StartReplica return when the requested TCP port is taken.
var ErrPortInUse = errors.New("pgserver: port already in use")

// RunningError says which process already uses a data directory.
type RunningError struct {
	DataDir string
	PID     int // postmaster PID from postmaster.pid; 0 when unknown
}

func (e *RunningError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("pgserver: data directory %s is already used by another launcher; stop it first or use another data directory", e.DataDir)
	}
	return fmt.Sprintf("pgserver: data directory %s is already used by a running postmaster (PID %d); stop it first or use another data directory", e.DataDir, e.PID)
}

// Unwrap lets errors.Is(err, ErrAlreadyRunning) match.
func (e *RunningError) Unwrap() error { return ErrAlreadyRunning }

// PortInUseError names the TCP port that could not be used.
type PortInUseError struct {
	Port int
	Err  error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("pgserver: port %d on 127.0.0.1 is already in use (%v); choose another port or 0 for a free one", e.Port, e.Err)
}

// Unwrap lets errors.Is(err, ErrPortInUse) match.
func (e *PortInUseError) Unwrap() []error { return []error{ErrPortInUse, e.Err} }
