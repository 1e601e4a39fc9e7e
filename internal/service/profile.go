package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"entgo.io/ent/dialect/sql"
	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/ent/predicate"
	"github.com/central/central/ent/user"
	"github.com/central/central/ent/usertag"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
)

// ProfileFilter selects the users whose profile contains every field set in
// it: Locale, TimeZone and Title equal, and each attribute present with
// that value (other fields and attributes may hold anything). It is the
// partial profile the query tests for containment, and follows the same
// rules (jsonb.UserProfile.Validate).
type ProfileFilter = jsonb.UserProfile

// profileContains is the predicate profile @> $1: the document is a bound
// parameter, never part of the SQL text, and @> with a jsonb_path_ops GIN
// index on profile is what the planner can answer from the index.
func profileContains(doc []byte) predicate.User {
	return predicate.User(func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.Ident(s.C(user.FieldProfile)).WriteString(" @> ").Arg(string(doc))
		}))
	})
}

// profileDoc validates f and encodes it as the containment document.
func profileDoc(f ProfileFilter) ([]byte, error) {
	if err := f.Validate(); err != nil {
		var pe *jsonb.ProfileError
		if errors.As(err, &pe) {
			return nil, &InvalidError{Entity: entityUser, Field: "profile." + pe.Field, Err: errors.New(pe.Reason)}
		}
		return nil, &InvalidError{Entity: entityUser, Field: "profile", Err: err}
	}
	return json.Marshal(f)
}

// ListByProfile is List restricted to the users whose profile contains
// filter (see ProfileFilter), e.g. every user of the tenant with attribute
// team=compilers. An empty filter lists every user. Errors: ErrInvalid for
// a filter that breaks the profile rules or a bad limit.
func (s *UserService) ListByProfile(ctx context.Context, tenantID entityid.TenantID, filter ProfileFilter, after entityid.UserID, limit int) (Page[UserPublic, entityid.UserID], error) {
	doc, err := profileDoc(filter)
	if err != nil {
		return Page[UserPublic, entityid.UserID]{}, fmt.Errorf("list users by profile: %w", err)
	}
	var where predicate.User
	if !filter.IsZero() {
		where = profileContains(doc)
	}
	p, err := s.list(ctx, tenantID, where, after, limit)
	if err != nil {
		return p, fmt.Errorf("list users of %s by profile: %w", tenantID, err)
	}
	return p, nil
}

// SetProfile replaces a user's profile and audits it ("user.set_profile").
// Errors: ErrNotFound, ErrInvalid (the profile breaks its rules).
func (s *UserService) SetProfile(ctx context.Context, tenantID entityid.TenantID, id entityid.UserID, p jsonb.UserProfile) (UserPublic, error) {
	if _, err := profileDoc(p); err != nil {
		return UserPublic{}, fmt.Errorf("set profile: %w", err)
	}
	var out UserPublic
	err := s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		u, err := w.ForTenant(tenantID).User.UpdateOneID(id).SetProfile(p).
			Select(userPublicColumns[0], userPublicColumns[1:]...).Save(ctx)
		if err != nil {
			return classify(entityUser, id.String(), err)
		}
		if u.Edges.Tags, err = w.ForTenant(tenantID).UserTag.Query().Where(usertag.UserID(id)).Order(ent.Asc(usertag.FieldKey)).All(ctx); err != nil {
			return fmt.Errorf("load tags: %w", err)
		}
		if err := s.audit.record(ctx, w, event{tenant: tenantID, action: "user.set_profile", entity: id.String()}); err != nil {
			return err
		}
		out = toUserPublic(u)
		return nil
	})
	if err != nil {
		return UserPublic{}, fmt.Errorf("set profile: %w", err)
	}
	s.log.Debug("user profile set", zap.Stringer("tenant_id", tenantID), zap.Stringer("user_id", id))
	return out, nil
}
