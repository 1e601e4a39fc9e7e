package config

import (
	"errors"
	"strconv"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every *Error.
var ErrInvalid = errors.New("config: invalid configuration")

// Problem is one bad variable and what to do about it. Msg never contains a
// secret value.
type Problem struct {
	Var string
	Msg string
}

// Error lists every bad variable found by Load.
type Error struct {
	Problems []Problem
}

// Error implements error with one line per problem.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	if len(e.Problems) == 1 {
		b.WriteString("1 invalid variable:")
	} else {
		b.WriteString(strconv.Itoa(len(e.Problems)) + " invalid variables:")
	}
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.Var + ": " + p.Msg)
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (e *Error) Unwrap() error { return ErrInvalid }
