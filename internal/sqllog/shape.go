package sqllog

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Shape reduces a statement to its shape for logs kept at warn level: a
// bulk insert's rows become the first row and a count, a long placeholder
// list (more than four, as in IN lists) becomes its first and last
// placeholder and a count. A slow insert of 10,000 tags is then one short
// line, not megabytes.
//
// Shape reads the statement as PostgreSQL does: parentheses, commas and
// placeholders inside string literals ('…', E'…', $tag$…$tag$), quoted
// identifiers ("…") and comments are text, not structure, so a row holding
// 'a), (b' is one row and is kept whole.
func Shape(query string) string {
	return collapsePlaceholders(collapseRows(query))
}

// collapseRows replaces every run of two or more parenthesised tuples
// separated by commas with the first tuple and the run's length.
func collapseRows(q string) string {
	var b strings.Builder
	last := 0 // q[last:i] is not written yet
	for i := 0; i < len(q); {
		if j, ok := skipText(q, i); ok {
			i = j
			continue
		}
		if q[i] != '(' {
			i++
			continue
		}
		first := closeParen(q, i)
		if first < 0 {
			break // unbalanced: leave the rest as it is
		}
		n, end := 1, first
		for {
			k := skipSpace(q, end)
			if k >= len(q) || q[k] != ',' {
				break
			}
			k = skipSpace(q, k+1)
			if k >= len(q) || q[k] != '(' {
				break
			}
			e := closeParen(q, k)
			if e < 0 {
				break
			}
			n, end = n+1, e
		}
		if n < 2 {
			i++ // look inside: a subquery may hold the rows
			continue
		}
		b.WriteString(q[last:first])
		b.WriteString(", …(" + strconv.Itoa(n) + " rows)")
		i, last = end, end
	}
	if last == 0 {
		return q
	}
	b.WriteString(q[last:])
	return b.String()
}

// collapsePlaceholders replaces every list of more than four placeholders
// ($1, $2, ...) with its first and last placeholder and its length.
func collapsePlaceholders(q string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(q); {
		if j, ok := skipText(q, i); ok {
			i = j
			continue
		}
		p := placeholderEnd(q, i)
		if p < 0 {
			i++
			continue
		}
		n, lastStart, end := 1, i, p
		for {
			k := skipSpace(q, end)
			if k >= len(q) || q[k] != ',' {
				break
			}
			k = skipSpace(q, k+1)
			e := placeholderEnd(q, k)
			if e < 0 {
				break
			}
			n, lastStart, end = n+1, k, e
		}
		if n <= 4 {
			i = end
			continue
		}
		b.WriteString(q[last:i])
		b.WriteString(q[i:p] + ", …, " + q[lastStart:end] + " (" + strconv.Itoa(n) + " values)")
		i, last = end, end
	}
	if last == 0 {
		return q
	}
	b.WriteString(q[last:])
	return b.String()
}

// placeholderEnd returns the end of the placeholder ($ and digits) at i,
// or -1.
func placeholderEnd(q string, i int) int {
	if i+1 >= len(q) || q[i] != '$' || !isDigit(q[i+1]) {
		return -1
	}
	j := i + 1
	for j < len(q) && isDigit(q[j]) {
		j++
	}
	return j
}

// closeParen returns the index after the parenthesis that closes the one
// at open, skipping text and nested parentheses, or -1.
func closeParen(q string, open int) int {
	depth := 0
	for i := open; i < len(q); {
		if j, ok := skipText(q, i); ok {
			i = j
			continue
		}
		switch q[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return -1
}

// skipText reports whether a string literal, quoted identifier, dollar-quoted
// string or comment starts at i, and the index after it (the end of q when
// it is not closed).
func skipText(q string, i int) (int, bool) {
	switch c := q[i]; {
	case c == '\'':
		escapes := i > 0 && (q[i-1] == 'E' || q[i-1] == 'e') && (i < 2 || !isIdent(q[i-2]))
		return skipQuoted(q, i, '\'', escapes), true
	case c == '"':
		return skipQuoted(q, i, '"', false), true
	case c == '-' && strings.HasPrefix(q[i:], "--"):
		if j := strings.IndexByte(q[i:], '\n'); j >= 0 {
			return i + j + 1, true
		}
		return len(q), true
	case c == '/' && strings.HasPrefix(q[i:], "/*"):
		return skipBlockComment(q, i), true
	case c == '$':
		if i > 0 && isIdent(q[i-1]) {
			return 0, false // part of an identifier such as a$b
		}
		tag := dollarTag(q, i)
		if tag == "" {
			return 0, false
		}
		if j := strings.Index(q[i+len(tag):], tag); j >= 0 {
			return i + len(tag) + j + len(tag), true
		}
		return len(q), true
	}
	return 0, false
}

// skipQuoted returns the index after the quoted text opened at i; a doubled
// quote is a quote, and with escapes (E'…') so is a backslash and the next
// character.
func skipQuoted(q string, i int, quote byte, escapes bool) int {
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '\\':
			if escapes {
				j++
			}
		case quote:
			if j+1 < len(q) && q[j+1] == quote {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(q)
}

// skipBlockComment returns the index after the /* … */ comment at i; such
// comments nest in PostgreSQL.
func skipBlockComment(q string, i int) int {
	depth := 0
	for j := i; j+1 < len(q); j++ {
		switch {
		case q[j] == '/' && q[j+1] == '*':
			depth++
			j++
		case q[j] == '*' && q[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(q)
}

// dollarTag returns the opening $tag$ (or $$) of a dollar-quoted string at
// i, or "" ($1 is a placeholder, not a tag).
func dollarTag(q string, i int) string {
	j := i + 1
	for j < len(q) && q[j] != '$' {
		c := q[j]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf || j > i+1 && isDigit(c)) {
			return ""
		}
		j++
	}
	if j >= len(q) {
		return ""
	}
	return q[i : j+1]
}

func skipSpace(q string, i int) int {
	for i < len(q) && (q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r') {
		i++
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c >= utf8.RuneSelf
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
