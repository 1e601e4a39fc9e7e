package sqllog

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// placeholderRun matches a list of more than four placeholders ($1, $2,
// ...), as in IN lists.
var placeholderRun = regexp.MustCompile(`\$\d+(?:\s*,\s*\$\d+){4,}`)

// valuesTuples matches the row tuples after VALUES in a bulk insert.
var valuesTuples = regexp.MustCompile(`\((?:[^()']|'[^']*')*\)(?:\s*,\s*\((?:[^()']|'[^']*')*\))+`)

// Shape reduces a statement to its shape for logs kept at warn level: a
// bulk insert's rows become the first row and a count, a long placeholder
// list becomes its first and last placeholder and a count. A slow insert of
// 10,000 tags is then one short line, not megabytes.
func Shape(query string) string {
	q := valuesTuples.ReplaceAllStringFunc(query, func(m string) string {
		n := 1 + strings.Count(m, "),")
		first := m[:strings.Index(m, ")")+1]
		return first + ", …(" + strconv.Itoa(n) + " rows)"
	})
	return placeholderRun.ReplaceAllStringFunc(q, func(m string) string {
		parts := strings.Split(m, ",")
		return strings.TrimSpace(parts[0]) + ", …, " + strings.TrimSpace(parts[len(parts)-1]) + " (" + strconv.Itoa(len(parts)) + " values)"
	})
}

// maskEmail masks a string argument that is an email address: email is
// personal data, and logs are read by more people than the database. The
// first character of the local part and the top-level domain stay, so that
// an operator can still tell test accounts from real ones.
func maskEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t\r\n") || len(s) > 320 {
		return s
	}
	tld := ""
	if dot := strings.LastIndexByte(s[at:], '.'); dot > 0 {
		tld = s[at+dot:]
	}
	_, n := utf8.DecodeRuneInString(s)
	return s[:n] + "***@***" + tld
}
