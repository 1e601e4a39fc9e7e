-- Create enum type "app_environment"
CREATE TYPE "app_environment" AS ENUM ('development', 'test', 'production');
-- Create enum type "tenant_status"
CREATE TYPE "tenant_status" AS ENUM ('active', 'suspended');
-- Create enum type "user_status"
CREATE TYPE "user_status" AS ENUM ('active', 'disabled');
-- Create "app_meta" table
CREATE TABLE "app_meta" ("key" character varying NOT NULL, "value" character varying NOT NULL, "updated_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY ("key"));
-- Create "audit_events" table
CREATE TABLE "audit_events" ("id" uuid NOT NULL, "tenant_id" uuid NULL, "actor" character varying NOT NULL DEFAULT '', "action" character varying NOT NULL, "entity_id" character varying NOT NULL, "at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "details" jsonb NULL, PRIMARY KEY ("id"), CONSTRAINT "action_format" CHECK ((action)::text ~ '^[a-z_]+\.[a-z_]+$'::text));
-- Create index "auditevent_entity_id" to table: "audit_events"
CREATE INDEX "auditevent_entity_id" ON "audit_events" ("entity_id");
-- Create index "auditevent_tenant_id_id" to table: "audit_events"
CREATE INDEX "auditevent_tenant_id_id" ON "audit_events" ("tenant_id", "id");
-- Create "seeds" table
CREATE TABLE "seeds" ("id" uuid NOT NULL, "name" character varying NOT NULL, "environment" "app_environment" NOT NULL, "sha256" character varying NOT NULL, "applied_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "duration_ms" bigint NOT NULL, "app_version" character varying NOT NULL DEFAULT '', PRIMARY KEY ("id"), CONSTRAINT "duration_nonnegative" CHECK (duration_ms >= 0), CONSTRAINT "sha256_hex" CHECK ((sha256)::text ~ '^[0-9a-f]{64}$'::text));
-- Create index "seed_name_environment" to table: "seeds"
CREATE UNIQUE INDEX "seed_name_environment" ON "seeds" ("name", "environment");
-- Create "tenants" table
CREATE TABLE "tenants" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "updated_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "slug" character varying NOT NULL, "display_name" character varying NOT NULL, "status" "tenant_status" NOT NULL DEFAULT 'active', PRIMARY KEY ("id"), CONSTRAINT "display_name_nonblank" CHECK (btrim((display_name)::text) <> ''::text), CONSTRAINT "slug_format" CHECK (((slug)::text ~ '^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$'::text) AND ((slug)::text !~ '--'::text)));
-- Create index "tenants_slug_key" to table: "tenants"
CREATE UNIQUE INDEX "tenants_slug_key" ON "tenants" ("slug");
-- Create "oidc_connectors" table
CREATE TABLE "oidc_connectors" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "updated_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "name" character varying NOT NULL, "issuer" character varying NOT NULL, "client_id" character varying NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "state" jsonb NOT NULL, "tenant_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "oidc_connectors_tenants_oidc_connectors" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "issuer_is_url" CHECK ((issuer)::text ~ '^https?://'::text), CONSTRAINT "name_nonblank" CHECK (btrim((name)::text) <> ''::text));
-- Create index "oidcconnector_tenant_id_name" to table: "oidc_connectors"
CREATE UNIQUE INDEX "oidcconnector_tenant_id_name" ON "oidc_connectors" ("tenant_id", "name");
-- Create "stored_objects" table
CREATE TABLE "stored_objects" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "updated_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "bucket" character varying NOT NULL, "object_name" character varying NOT NULL, "content_type" character varying NOT NULL DEFAULT 'application/octet-stream', "size_bytes" bigint NOT NULL, "tenant_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "stored_objects_tenants_stored_objects" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "bucket_name_valid" CHECK (((char_length((bucket)::text) >= 3) AND (char_length((bucket)::text) <= 63)) AND ((bucket)::text ~ '^[a-z0-9][a-z0-9.-]*[a-z0-9]$'::text) AND ((bucket)::text !~ '\.\.'::text) AND ((bucket)::text !~ '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$'::text) AND ((bucket)::text !~ '^(xn--|sthree-|amzn-s3-demo-)'::text) AND ((bucket)::text !~ '(-s3alias|--ol-s3|--x-s3|\.mrap)$'::text)), CONSTRAINT "object_name_valid" CHECK ((octet_length((object_name)::text) >= 1) AND (octet_length((object_name)::text) <= 1024)), CONSTRAINT "size_nonnegative" CHECK (size_bytes >= 0));
-- Create index "storedobject_bucket_object_name" to table: "stored_objects"
CREATE UNIQUE INDEX "storedobject_bucket_object_name" ON "stored_objects" ("bucket", "object_name");
-- Create index "storedobject_tenant_id_id" to table: "stored_objects"
CREATE INDEX "storedobject_tenant_id_id" ON "stored_objects" ("tenant_id", "id");
-- Create "users" table
CREATE TABLE "users" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "updated_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "email" character varying NOT NULL, "display_name" character varying NULL, "status" "user_status" NOT NULL DEFAULT 'active', "idp_user_info" jsonb NULL, "tenant_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "users_tenants_users" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "email_format" CHECK ((email)::text ~ '^[^@\s]+@[^@\s]+$'::text), CONSTRAINT "email_lowercase" CHECK ((email)::text = lower((email)::text)));
-- Create index "user_tenant_id_email" to table: "users"
CREATE UNIQUE INDEX "user_tenant_id_email" ON "users" ("tenant_id", "email");
-- Create index "user_tenant_id_id" to table: "users"
CREATE INDEX "user_tenant_id_id" ON "users" ("tenant_id", "id");
-- Create "user_tags" table
CREATE TABLE "user_tags" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "updated_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "key" character varying NOT NULL, "value" character varying NOT NULL, "user_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "user_tags_users_tags" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "key_format" CHECK ((key)::text ~ '^[a-z0-9][a-z0-9_.:-]{0,63}$'::text), CONSTRAINT "value_length" CHECK (char_length((value)::text) <= 1024));
-- Create index "usertag_user_id_key" to table: "user_tags"
CREATE UNIQUE INDEX "usertag_user_id_key" ON "user_tags" ("user_id", "key");
