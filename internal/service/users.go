package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/ent/predicate"
	"github.com/central/central/ent/user"
	"github.com/central/central/ent/usertag"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/sensitive"
)

// UserStatus is a user's lifecycle state.
type UserStatus string

// User states.
const (
	UserActive   UserStatus = "active"
	UserDisabled UserStatus = "disabled"
)

// Tag is a key/value label on a user.
type Tag struct {
	ID        entityid.UserTagID
	UserID    entityid.UserID
	Key       string
	Value     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UserPublic is a user without any sensitive field.
type UserPublic struct {
	ID          entityid.UserID
	TenantID    entityid.TenantID
	Email       string
	DisplayName string
	Status      UserStatus
	Profile     jsonb.UserProfile // non-sensitive, queryable (see ListByProfile)
	Tags        []Tag             // ordered by key
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// UserPrivate adds the decrypted sensitive fields, for internal callers.
// IdPUserInfo stays redacted when printed, logged or marshaled; Reveal it to
// use it. It is unset (IsSet false) when the user has none.
type UserPrivate struct {
	UserPublic
	IdPUserInfo sensitive.Sensitive[jsonb.IdPUserInfo]
}

func toTag(t *ent.UserTag) Tag {
	return Tag{ID: t.ID, UserID: t.UserID, Key: t.Key, Value: t.Value, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// toUserPublic maps a stored user (with its tags edge, when loaded) to the
// public view. The sealed idp_user_info is deliberately not read.
func toUserPublic(u *ent.User) UserPublic {
	tags := make([]Tag, len(u.Edges.Tags))
	for i, t := range u.Edges.Tags {
		tags[i] = toTag(t)
	}
	return UserPublic{
		ID:          u.ID,
		TenantID:    u.TenantID,
		Email:       u.Email,
		DisplayName: u.DisplayName,
		Status:      UserStatus(u.Status),
		Profile:     u.Profile,
		Tags:        tags,
		CreatedAt:   u.CreatedAt,
		UpdatedAt:   u.UpdatedAt,
	}
}

// toUserPrivate maps a stored user to the private view, opening the sealed
// idp_user_info with the keyring.
func toUserPrivate(ctx context.Context, kr *sensitive.Keyring, u *ent.User) (UserPrivate, error) {
	p := UserPrivate{UserPublic: toUserPublic(u)}
	if u.IdpUserInfo.IsZero() {
		return p, nil
	}
	info, err := sensitive.OpenAt(ctx, kr, userInfoAt(u.ID), u.IdpUserInfo.Sealed)
	if err != nil {
		return UserPrivate{}, fmt.Errorf("open idp_user_info of %s: %w", u.ID, err)
	}
	p.IdPUserInfo = sensitive.New(info)
	return p, nil
}

// CreateUserInput describes a new user.
type CreateUserInput struct {
	// ID is optional: seeds pass fixed IDs; zero means a new one.
	ID          entityid.UserID
	Email       string // stored lowercased and trimmed
	DisplayName string
	// Status defaults to UserActive.
	Status UserStatus
	// IdPUserInfo is sealed with the keyring's current key; nil stores NULL.
	IdPUserInfo *jsonb.IdPUserInfo
	// Tags are the initial tags, key → value.
	Tags map[string]string
	// Profile is the non-sensitive profile (see jsonb.UserProfile.Validate).
	Profile jsonb.UserProfile
}

// UpdateUserInput changes the fields that are set (nil: unchanged).
type UpdateUserInput struct {
	Email       *string
	DisplayName *string
	Status      *UserStatus
}

// UserService manages a tenant's users and their tags.
type UserService struct {
	base
	keys *sensitive.Keyring
}

// NewUserService returns the user service; its logger is named "users".
// The keyring seals and opens idp_user_info.
func NewUserService(logger *zap.Logger, store Store, keys *sensitive.Keyring, opts ...Option) (*UserService, error) {
	b, err := newBase("users", logger, store, opts)
	if err != nil {
		return nil, err
	}
	if keys == nil {
		return nil, errors.New("service: new users: keyring is nil; pass the *sensitive.Keyring built from configuration")
	}
	return &UserService{base: b, keys: keys}, nil
}

const (
	entityUser = "user"
	entityTag  = "user_tag"
)

func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// userInfoAt is where a user's idp_user_info is stored; its envelope is
// bound to it (a copy in another row does not open).
func userInfoAt(id entityid.UserID) sensitive.Place {
	return sensitive.At(user.Table, user.FieldIdpUserInfo, id.UUID())
}

// sealInfo seals info for storage in user id's row; nil seals nothing (SQL
// NULL). It runs before any transaction opens: a key service round trip
// must not hold one.
func (s *UserService) sealInfo(ctx context.Context, id entityid.UserID, info *jsonb.IdPUserInfo) (jsonb.SealedIdPUserInfo, error) {
	if info == nil {
		return jsonb.SealedIdPUserInfo{}, nil
	}
	sealed, err := sensitive.SealAt(ctx, s.keys, userInfoAt(id), *info)
	if err != nil {
		return jsonb.SealedIdPUserInfo{}, fmt.Errorf("seal idp_user_info: %w", err)
	}
	return jsonb.SealedIdPUserInfo{Sealed: sealed}, nil
}

func withTagsByKey(q *ent.UserTagQuery) { q.Order(ent.Asc(usertag.FieldKey)) }

// TxCreateUser creates a user in tenantID with its initial tags and one
// audit event ("user.create"), in a transaction of its own (a savepoint
// when ctx already carries one). Errors: ErrNotFound (no such tenant),
// ErrConflict (email taken in the tenant), ErrInvalid, sensitive errors
// when sealing fails (then nothing is written).
func (s *UserService) TxCreateUser(ctx context.Context, tenantID entityid.TenantID, in CreateUserInput) (UserPrivate, error) {
	if err := validateUserCreate(in); err != nil {
		return UserPrivate{}, fmt.Errorf("create user: %w", err)
	}
	if _, err := profileDoc(in.Profile); err != nil {
		return UserPrivate{}, fmt.Errorf("create user: %w", err)
	}
	id := in.ID
	if id.IsZero() {
		id = entityid.NewUserID() // known before sealing: the envelope is bound to the row
	}
	sealed, err := s.sealInfo(ctx, id, in.IdPUserInfo)
	if err != nil {
		return UserPrivate{}, fmt.Errorf("create user: %w", err)
	}
	var out UserPrivate
	err = s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		scope := w.ForTenant(tenantID)
		c := scope.User.Create().
			SetEmail(normalizeEmail(in.Email)).
			SetDisplayName(in.DisplayName).
			SetProfile(in.Profile).
			SetID(id)
		if in.Status != "" {
			c.SetStatus(user.Status(in.Status))
		}
		if !sealed.IsZero() {
			c.SetIdpUserInfo(sealed)
		}
		u, err := c.Save(ctx)
		if isForeignKeyViolation(err) {
			return notFound(entityTenant, tenantID.String())
		}
		if err != nil {
			return classify(entityUser, "", err)
		}
		keys := make([]string, 0, len(in.Tags))
		for k := range in.Tags {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		builders := make([]*ent.UserTagCreate, len(keys))
		for i, k := range keys {
			builders[i] = scope.UserTag.Create().SetUserID(u.ID).SetKey(k).SetValue(in.Tags[k])
		}
		if len(builders) > 0 {
			tags, err := scope.UserTag.CreateBulk(builders...).Save(ctx)
			if err != nil {
				return classify(entityTag, "", err)
			}
			u.Edges.Tags = tags
		} else {
			u.Edges.Tags = []*ent.UserTag{}
		}
		if err := s.audit.record(ctx, w, event{tenant: tenantID, action: "user.create", entity: u.ID.String(),
			details: map[string]string{"tags": fmt.Sprint(len(keys))}}); err != nil {
			return err
		}
		out = UserPrivate{UserPublic: toUserPublic(u)}
		if in.IdPUserInfo != nil {
			out.IdPUserInfo = sensitive.New(*in.IdPUserInfo)
		}
		return nil
	})
	if err != nil {
		return UserPrivate{}, fmt.Errorf("create user: %w", err)
	}
	s.log.Debug("user created", zap.Stringer("tenant_id", tenantID), zap.Stringer("user_id", out.ID))
	return out, nil
}

// userPublicColumns are the columns public reads load: every one but the
// sealed idp_user_info, which they neither transfer nor parse.
var userPublicColumns = []string{
	user.FieldID, user.FieldCreatedAt, user.FieldUpdatedAt, user.FieldTenantID,
	user.FieldEmail, user.FieldDisplayName, user.FieldStatus, user.FieldProfile,
}

// get loads a user of tenantID with its tags through the reader of ctx;
// with private false it leaves out the sealed column.
func (s *UserService) get(ctx context.Context, tenantID entityid.TenantID, id entityid.UserID, private bool) (*ent.User, error) {
	q := s.store.Reader(ctx).ForTenant(tenantID).User.Query().
		Where(user.ID(id)).
		WithTags(withTagsByKey)
	if !private {
		q.Select(userPublicColumns...)
	}
	u, err := q.Only(ctx)
	if err != nil {
		return nil, classify(entityUser, id.String(), err)
	}
	return u, nil
}

// Get returns a user's public view. A user of another tenant is ErrNotFound.
func (s *UserService) Get(ctx context.Context, tenantID entityid.TenantID, id entityid.UserID) (UserPublic, error) {
	u, err := s.get(ctx, tenantID, id, false)
	if err != nil {
		return UserPublic{}, fmt.Errorf("get user: %w", err)
	}
	return toUserPublic(u), nil
}

// GetPrivate returns a user's private view with idp_user_info decrypted.
// Errors: ErrNotFound; sensitive.ErrUnknownKey, sensitive.ErrDecrypt and
// the other sensitive errors when the value cannot be opened.
func (s *UserService) GetPrivate(ctx context.Context, tenantID entityid.TenantID, id entityid.UserID) (UserPrivate, error) {
	u, err := s.get(ctx, tenantID, id, true)
	if err != nil {
		return UserPrivate{}, fmt.Errorf("get user: %w", err)
	}
	p, err := toUserPrivate(ctx, s.keys, u)
	if err != nil {
		return UserPrivate{}, fmt.Errorf("get user: %w", err)
	}
	return p, nil
}

// GetByEmail returns the public view of the tenant's user with email
// (compared lowercased). Errors: ErrNotFound.
func (s *UserService) GetByEmail(ctx context.Context, tenantID entityid.TenantID, email string) (UserPublic, error) {
	if err := checkText(entityUser, lookupOnly, "email", email); err != nil {
		return UserPublic{}, fmt.Errorf("get user by email: %w", err)
	}
	u, err := s.store.Reader(ctx).ForTenant(tenantID).User.Query().
		Where(user.Email(normalizeEmail(email))).
		WithTags(withTagsByKey).
		Select(userPublicColumns...).
		Only(ctx)
	if err != nil {
		return UserPublic{}, fmt.Errorf("get user by email: %w", classify(entityUser, "with that email", err))
	}
	return toUserPublic(u), nil
}

// List returns the tenant's users ordered by ID after the cursor (zero:
// from the start), with their tags.
func (s *UserService) List(ctx context.Context, tenantID entityid.TenantID, after entityid.UserID, limit int) (Page[UserPublic, entityid.UserID], error) {
	p, err := s.list(ctx, tenantID, nil, after, limit)
	if err != nil {
		return p, fmt.Errorf("list users of %s: %w", tenantID, err)
	}
	return p, nil
}

// list is List and ListByProfile: one page of the tenant's users that
// match where (nil: all), with their tags, so the user page bound applies
// to both.
func (s *UserService) list(ctx context.Context, tenantID entityid.TenantID, where predicate.User, after entityid.UserID, limit int) (Page[UserPublic, entityid.UserID], error) {
	if err := userPageLimit(limit); err != nil {
		return Page[UserPublic, entityid.UserID]{}, err
	}
	n, err := pageLimit(entityUser, limit)
	if err != nil {
		return Page[UserPublic, entityid.UserID]{}, err
	}
	q := s.store.Reader(ctx).ForTenant(tenantID).User.Query().
		WithTags(withTagsByKey).
		Order(ent.Asc(user.FieldID)).
		Limit(n + 1)
	q.Select(userPublicColumns...)
	if where != nil {
		q.Where(where)
	}
	if !after.IsZero() {
		q.Where(user.IDGT(after))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return Page[UserPublic, entityid.UserID]{}, err
	}
	return paginate(rows, n, toUserPublic, func(u UserPublic) entityid.UserID { return u.ID }), nil
}

// Update changes a user's email, display name or status and audits it
// ("user.update"). Errors: ErrNotFound, ErrConflict (email), ErrInvalid.
func (s *UserService) Update(ctx context.Context, tenantID entityid.TenantID, id entityid.UserID, in UpdateUserInput) (UserPublic, error) {
	if err := validateUserUpdate(in); err != nil {
		return UserPublic{}, fmt.Errorf("update user: %w", err)
	}
	var out UserPublic
	err := s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		upd := w.ForTenant(tenantID).User.UpdateOneID(id)
		var changed []string
		if in.Email != nil {
			upd.SetEmail(normalizeEmail(*in.Email))
			changed = append(changed, "email")
		}
		if in.DisplayName != nil {
			upd.SetDisplayName(*in.DisplayName)
			changed = append(changed, "display_name")
		}
		if in.Status != nil {
			upd.SetStatus(user.Status(*in.Status))
			changed = append(changed, "status")
		}
		u, err := upd.Select(userPublicColumns[0], userPublicColumns[1:]...).Save(ctx)
		if err != nil {
			return classify(entityUser, id.String(), err)
		}
		tags, err := w.ForTenant(tenantID).UserTag.Query().Where(usertag.UserID(id)).Order(ent.Asc(usertag.FieldKey)).All(ctx)
		if err != nil {
			return fmt.Errorf("load tags: %w", err)
		}
		u.Edges.Tags = tags
		if err := s.audit.record(ctx, w, event{tenant: tenantID, action: "user.update", entity: id.String(),
			details: fieldsDetail(changed)}); err != nil {
			return err
		}
		out = toUserPublic(u)
		return nil
	})
	if err != nil {
		return UserPublic{}, fmt.Errorf("update user: %w", err)
	}
	return out, nil
}

// SetIdPUserInfo seals info under the current key and stores it (nil
// clears it), auditing "user.set_idp_info" without the value. Sealing
// happens first: when it fails nothing is written. Errors: ErrNotFound,
// sensitive errors.
func (s *UserService) SetIdPUserInfo(ctx context.Context, tenantID entityid.TenantID, id entityid.UserID, info *jsonb.IdPUserInfo) error {
	sealed, err := s.sealInfo(ctx, id, info)
	if err != nil {
		return fmt.Errorf("set idp_user_info: %w", err)
	}
	err = s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		upd := w.ForTenant(tenantID).User.UpdateOneID(id)
		if sealed.IsZero() {
			upd.ClearIdpUserInfo()
		} else {
			upd.SetIdpUserInfo(sealed)
		}
		if err := upd.Exec(ctx); err != nil {
			return classify(entityUser, id.String(), err)
		}
		return s.audit.record(ctx, w, event{tenant: tenantID, action: "user.set_idp_info", entity: id.String()})
	})
	if err != nil {
		return fmt.Errorf("set idp_user_info: %w", err)
	}
	return nil
}

// Delete removes a user and its tags, auditing "user.delete". Errors: ErrNotFound.
func (s *UserService) Delete(ctx context.Context, tenantID entityid.TenantID, id entityid.UserID) error {
	err := s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		n, err := w.ForTenant(tenantID).User.Delete().Where(user.ID(id)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		if n == 0 {
			return notFound(entityUser, id.String())
		}
		return s.audit.record(ctx, w, event{tenant: tenantID, action: "user.delete", entity: id.String()})
	})
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}

// SetTag sets a user's tag key to value (insert or update) and audits
// "user_tag.set". Errors: ErrNotFound (no such user in the tenant), ErrInvalid.
func (s *UserService) SetTag(ctx context.Context, tenantID entityid.TenantID, userID entityid.UserID, key, value string) (Tag, error) {
	if err := validateTag(key, value); err != nil {
		return Tag{}, fmt.Errorf("set tag: %w", err)
	}
	var out Tag
	err := s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		if err := reserveTagRoom(ctx, w, tenantID, userID, key); err != nil {
			return err
		}
		if err := s.requireUser(ctx, w, tenantID, userID); err != nil {
			return err
		}
		err := w.ForTenant(tenantID).UserTag.Create().SetUserID(userID).SetKey(key).SetValue(value).
			OnConflictColumns(usertag.FieldUserID, usertag.FieldKey).
			Update(func(u *ent.UserTagUpsert) { u.UpdateValue().UpdateUpdatedAt() }).
			Exec(ctx) // requireUser holds the user FOR SHARE: no foreign-key race
		if err != nil {
			return classify(entityTag, "", err)
		}
		t, err := w.ForTenant(tenantID).UserTag.Query().Where(usertag.UserID(userID), usertag.Key(key)).Only(ctx)
		if err != nil {
			return fmt.Errorf("read back tag: %w", err)
		}
		if err := s.audit.record(ctx, w, event{tenant: tenantID, action: "user_tag.set", entity: t.ID.String(),
			details: map[string]string{"user_id": userID.String(), "key": key}}); err != nil {
			return err
		}
		out = toTag(t)
		return nil
	})
	if err != nil {
		return Tag{}, fmt.Errorf("set tag %q: %w", key, err)
	}
	return out, nil
}

// DeleteTag removes a user's tag and audits "user_tag.delete". Errors:
// ErrNotFound (no such user in the tenant, or no such tag).
func (s *UserService) DeleteTag(ctx context.Context, tenantID entityid.TenantID, userID entityid.UserID, key string) error {
	if err := validateTagKey(key); err != nil {
		return fmt.Errorf("delete tag: %w", err)
	}
	err := s.write(ctx, func(ctx context.Context) error {
		w := s.store.Writer(ctx)
		if err := s.requireUser(ctx, w, tenantID, userID); err != nil {
			return err
		}
		t, err := w.ForTenant(tenantID).UserTag.Query().Where(usertag.UserID(userID), usertag.Key(key)).Only(ctx)
		if err != nil {
			return classify(entityTag, fmt.Sprintf("%q of %s", key, userID), err)
		}
		if err := w.ForTenant(tenantID).UserTag.DeleteOneID(t.ID).Exec(ctx); err != nil {
			return classify(entityTag, t.ID.String(), err)
		}
		return s.audit.record(ctx, w, event{tenant: tenantID, action: "user_tag.delete", entity: t.ID.String(),
			details: map[string]string{"user_id": userID.String(), "key": key}})
	})
	if err != nil {
		return fmt.Errorf("delete tag %q: %w", key, err)
	}
	return nil
}

// ListTags returns a user's tags ordered by key. Errors: ErrNotFound.
func (s *UserService) ListTags(ctx context.Context, tenantID entityid.TenantID, userID entityid.UserID) ([]Tag, error) {
	r := s.store.Reader(ctx)
	rows, err := r.ForTenant(tenantID).UserTag.Query().
		Where(usertag.UserID(userID)).
		Order(ent.Asc(usertag.FieldKey)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	if len(rows) == 0 {
		ok, err := r.ForTenant(tenantID).User.Exist(ctx, userID)
		if err != nil {
			return nil, fmt.Errorf("list tags: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("list tags: %w", notFound(entityUser, userID.String()))
		}
	}
	out := make([]Tag, len(rows))
	for i, t := range rows {
		out[i] = toTag(t)
	}
	return out, nil
}

// requireUser fails with ErrNotFound unless the tenant has the user; it
// locks the user row (FOR SHARE) so it cannot vanish before the write.
func (s *UserService) requireUser(ctx context.Context, w *ent.Client, tenantID entityid.TenantID, id entityid.UserID) error {
	_, err := w.ForTenant(tenantID).User.Query().Where(user.ID(id)).ForShare().Select(user.FieldID).Only(ctx)
	if err != nil {
		return classify(entityUser, id.String(), err)
	}
	return nil
}
