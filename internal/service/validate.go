package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/central/central/ent"
	entmigrate "github.com/central/central/ent/migrate"
	"github.com/central/central/ent/user"
	"github.com/central/central/ent/usertag"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
)

// Declared limits on nested collections and secrets. They bound what one
// request can make the process and the database allocate: a create with
// 10,000 tags would otherwise exceed the extended protocol's 65,535
// parameters, and a page of such users would hold tens of megabytes.
const (
	// MaxTagsPerUser is the most tags one user may have.
	MaxTagsPerUser = 50
	// MaxScopesPerConnector is the most scopes one OIDC connector may list.
	MaxScopesPerConnector = 50
	// MaxScopeChars is the longest scope, in characters.
	MaxScopeChars = 256
	// MaxClientSecretBytes is the largest OIDC client secret, in bytes.
	MaxClientSecretBytes = 4096
	// MaxNestedPerPage bounds the nested items of one list page: a page of
	// users holds at most limit × MaxTagsPerUser tags, so a users page asks
	// for at most MaxNestedPerPage / MaxTagsPerUser users.
	MaxNestedPerPage = 5000
	// MaxUserPageLimit is the largest page of users (with their tags).
	MaxUserPageLimit = MaxNestedPerPage / MaxTagsPerUser
)

// textRule is what the database accepts in one text column, derived from
// the generated schema (ent/migrate): the column size set by MaxLen or
// MaxRuneLen and char_length CHECKs count characters, octet_length CHECKs
// count bytes; a btrim(col) <> ” CHECK makes the column non-blank.
type textRule struct {
	maxChars int // 0: no limit
	maxBytes int // 0: no limit
	nonBlank bool
}

var lengthCheck = regexp.MustCompile(`(char_length|octet_length)\((\w+)\)\s*(?:<=\s*(\d+)|BETWEEN\s+\d+\s+AND\s+(\d+))`)

var nonBlankCheck = regexp.MustCompile(`btrim\((\w+)\)\s*<>\s*''`)

// textRules maps "table.column" to its rule. It is computed once from the
// generated schema, so a new limit in ent/schema applies here without an
// edit.
var textRules = sync.OnceValue(func() map[string]textRule {
	rules := map[string]textRule{}
	for _, t := range entmigrate.Tables {
		for _, c := range t.Columns {
			if c.Size > 0 {
				r := rules[t.Name+"."+c.Name]
				r.maxChars = int(c.Size)
				rules[t.Name+"."+c.Name] = r
			}
		}
		if t.Annotation == nil {
			continue
		}
		for _, check := range t.Annotation.Checks {
			for _, m := range lengthCheck.FindAllStringSubmatch(check, -1) {
				n, _ := strconv.Atoi(m[3] + m[4])
				key := t.Name + "." + m[2]
				r := rules[key]
				if m[1] == "char_length" && (r.maxChars == 0 || n < r.maxChars) {
					r.maxChars = n
				}
				if m[1] == "octet_length" && (r.maxBytes == 0 || n < r.maxBytes) {
					r.maxBytes = n
				}
				rules[key] = r
			}
			for _, m := range nonBlankCheck.FindAllStringSubmatch(check, -1) {
				r := rules[t.Name+"."+m[1]]
				r.nonBlank = true
				rules[t.Name+"."+m[1]] = r
			}
		}
	}
	return rules
})

// lookupOnly is checkText's column for a value that is only looked up (a
// path parameter, a slug): no length rule applies, but it must be storable
// text, or no row can match.
const lookupOnly = ""

// checkText validates one text value at the edge of the services, before
// any SQL: valid UTF-8, no NUL (PostgreSQL text cannot hold U+0000 and
// answers SQLSTATE 22021), and the rules of column ("table.column", from
// the schema; lookupOnly for none): length in the unit of the rule, and —
// for non-blank columns — not only white space, where white space is every
// Unicode space (tab, newline, no-break space, ...), not just the ASCII
// space that btrim removes.
func checkText(entity, column, field, s string) error {
	if !utf8.ValidString(s) {
		return invalid(entity, field, "%s is not valid UTF-8; send text encoded as UTF-8", field)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return invalid(entity, field, "%s contains a NUL character (U+0000), which cannot be stored; remove it", field)
	}
	r := textRules()[column]
	if r.maxChars > 0 {
		if n := utf8.RuneCountInString(s); n > r.maxChars {
			return invalid(entity, field, "%s is %d characters long; at most %d are allowed", field, n, r.maxChars)
		}
	}
	if r.maxBytes > 0 && len(s) > r.maxBytes {
		return invalid(entity, field, "%s is %d bytes long in UTF-8; at most %d are allowed", field, len(s), r.maxBytes)
	}
	if r.nonBlank && strings.TrimFunc(s, unicode.IsSpace) == "" {
		return invalid(entity, field, "%s must not be empty or only white space", field)
	}
	return nil
}

// checkEmail adds to checkText what the email CHECK means in PostgreSQL,
// whose \s also matches Unicode spaces that Go's \s does not.
func checkEmail(s string) error {
	if err := checkText(entityUser, "users.email", "email", s); err != nil {
		return err
	}
	if strings.IndexFunc(strings.TrimSpace(s), unicode.IsSpace) >= 0 {
		return invalid(entityUser, "email", "email must not contain white space")
	}
	return nil
}

func validateTenantCreate(in CreateTenantInput) error {
	return firstErr(
		checkText(entityTenant, lookupOnly, "slug", in.Slug),
		checkText(entityTenant, "tenants.display_name", "display_name", in.DisplayName),
	)
}

func validateTenantUpdate(in UpdateTenantInput) error {
	if in.DisplayName == nil {
		return nil
	}
	return checkText(entityTenant, "tenants.display_name", "display_name", *in.DisplayName)
}

func validateUserFields(email, displayName *string) error {
	var errs []error
	if email != nil {
		errs = append(errs, checkEmail(*email))
	}
	if displayName != nil {
		errs = append(errs, checkText(entityUser, "users.display_name", "display_name", *displayName))
	}
	return firstErr(errs...)
}

func validateUserCreate(in CreateUserInput) error {
	if err := validateUserFields(&in.Email, &in.DisplayName); err != nil {
		return err
	}
	if len(in.Tags) > MaxTagsPerUser {
		return invalid(entityUser, "tags", "%d tags; a user may have at most %d", len(in.Tags), MaxTagsPerUser)
	}
	for k, v := range in.Tags {
		if err := validateTag(k, v); err != nil {
			return err
		}
	}
	return nil
}

func validateUserUpdate(in UpdateUserInput) error {
	return validateUserFields(in.Email, in.DisplayName)
}

// validateTagKey checks a tag key with the generated validator (the
// key_format pattern), after making sure it is text at all.
func validateTagKey(key string) error {
	if err := checkText(entityTag, lookupOnly, "key", key); err != nil {
		return err
	}
	if err := usertag.KeyValidator(key); err != nil {
		return invalid(entityTag, "key", "tag key %q: %v; %s", truncateForMessage(key), err, jsonb.TagKeyHint)
	}
	return nil
}

func validateTag(key, value string) error {
	if err := validateTagKey(key); err != nil {
		return err
	}
	return checkText(entityTag, "user_tags.value", "tags."+truncateForMessage(key), value)
}

func validateConnectorCreate(in CreateConnectorInput) error {
	return firstErr(
		checkText(entityConnector, "oidc_connectors.name", "name", in.Name),
		checkText(entityConnector, "oidc_connectors.issuer", "issuer", in.Issuer),
		checkText(entityConnector, "oidc_connectors.client_id", "client_id", in.ClientID),
		validateConnectorState(in.State),
	)
}

func validateConnectorUpdate(in UpdateConnectorInput) error {
	var errs []error
	if in.Name != nil {
		errs = append(errs, checkText(entityConnector, "oidc_connectors.name", "name", *in.Name))
	}
	if in.Issuer != nil {
		errs = append(errs, checkText(entityConnector, "oidc_connectors.issuer", "issuer", *in.Issuer))
	}
	if in.ClientID != nil {
		errs = append(errs, checkText(entityConnector, "oidc_connectors.client_id", "client_id", *in.ClientID))
	}
	return firstErr(errs...)
}

// validateConnectorState bounds the sealed state. Messages never quote the
// secret.
func validateConnectorState(st jsonb.OIDCConnectorState) error {
	if len(st.ClientSecret) > MaxClientSecretBytes {
		return invalid(entityConnector, "client_secret", "client_secret is %d bytes; at most %d are allowed", len(st.ClientSecret), MaxClientSecretBytes)
	}
	if !utf8.ValidString(st.ClientSecret) || strings.IndexByte(st.ClientSecret, 0) >= 0 {
		return invalid(entityConnector, "client_secret", "client_secret must be UTF-8 text without NUL characters")
	}
	if len(st.Scopes) > MaxScopesPerConnector {
		return invalid(entityConnector, "scopes", "%d scopes; a connector may list at most %d", len(st.Scopes), MaxScopesPerConnector)
	}
	for i, sc := range st.Scopes {
		field := "scopes[" + strconv.Itoa(i) + "]"
		switch {
		case !utf8.ValidString(sc) || strings.IndexByte(sc, 0) >= 0:
			return invalid(entityConnector, field, "%s must be UTF-8 text without NUL characters", field)
		case utf8.RuneCountInString(sc) > MaxScopeChars:
			return invalid(entityConnector, field, "%s is longer than %d characters", field, MaxScopeChars)
		case strings.TrimFunc(sc, unicode.IsSpace) == "":
			return invalid(entityConnector, field, "%s must not be empty or only white space", field)
		}
	}
	return nil
}

func validateObjectCreate(in CreateObjectInput) error {
	return firstErr(
		checkText(entityObject, "stored_objects.bucket", "bucket", in.Bucket),
		checkText(entityObject, "stored_objects.object_name", "object_name", in.ObjectName),
		checkText(entityObject, "stored_objects.content_type", "content_type", in.ContentType),
	)
}

func validateObjectUpdate(in UpdateObjectInput) error {
	if in.ContentType == nil {
		return nil
	}
	return checkText(entityObject, "stored_objects.content_type", "content_type", *in.ContentType)
}

// userPageLimit is pageLimit for users, whose pages carry their tags.
func userPageLimit(limit int) error {
	if limit > MaxUserPageLimit {
		return invalid(entityUser, "limit", "page limit %d is too large for users, which carry up to %d tags each; pass 1 to %d",
			limit, MaxTagsPerUser, MaxUserPageLimit)
	}
	return nil
}

// truncateForMessage keeps an echoed value short and valid UTF-8.
func truncateForMessage(s string) string {
	const max = 64
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

// PostgreSQL error classes the edge validation should have prevented;
// classify maps them to ErrInvalid rather than an internal error.
const (
	pgCharacterNotInRepertoire  = "22021" // invalid byte sequence, NUL in text
	pgUntranslatableCharacter   = "22P05" // e.g. \u0000 in jsonb
	pgProgramLimitExceededClass = "54"    // 54000 program_limit_exceeded, 54001 statement too complex, ...
)

// classifyInput maps a database or driver error caused by the input's
// shape (bytes text cannot hold, a statement over the server's or the
// protocol's limits) to an *InvalidError; it returns nil for anything else.
func classifyInput(entity string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == pgCharacterNotInRepertoire || pgErr.Code == pgUntranslatableCharacter:
			return &InvalidError{Entity: entity, Field: pgErr.ColumnName,
				Err: errors.New("a text value holds a NUL character or bytes that are not UTF-8; send UTF-8 text without U+0000")}
		case strings.HasPrefix(pgErr.Code, pgProgramLimitExceededClass):
			return &InvalidError{Entity: entity, Field: pgErr.ColumnName,
				Err: fmt.Errorf("the request is too large for the database (SQLSTATE %s); send fewer or smaller values", pgErr.Code)}
		}
		return nil
	}
	// pgx refuses a statement with more than 65,535 parameters before
	// sending it.
	if err != nil && strings.Contains(err.Error(), "extended protocol limited to") {
		return &InvalidError{Entity: entity, Err: errors.New("the request holds too many values for one statement; send fewer")}
	}
	return nil
}

// reserveTagRoom locks the user's row (FOR UPDATE, so concurrent tag writes
// of one user queue instead of both seeing room for one more) and fails
// when setting key would give the user more than MaxTagsPerUser tags. Call
// it inside the write, before requireUser; a missing user passes here and
// is reported by requireUser.
func reserveTagRoom(ctx context.Context, w *ent.Client, tenantID entityid.TenantID, userID entityid.UserID, key string) error {
	ids, err := w.ForTenant(tenantID).User.Query().Where(user.ID(userID)).ForUpdate().IDs(ctx)
	if err != nil || len(ids) == 0 {
		return classify(entityUser, userID.String(), err)
	}
	n, err := w.ForTenant(tenantID).UserTag.Query().Where(usertag.UserID(userID), usertag.KeyNEQ(key)).Count(ctx)
	if err != nil {
		return fmt.Errorf("count tags: %w", err)
	}
	if n >= MaxTagsPerUser {
		return invalid(entityTag, "key", "user %s already has %d tags, the most a user may have; delete one first", userID, n)
	}
	return nil
}

// firstErr returns the first non-nil error: one clear message per response.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
