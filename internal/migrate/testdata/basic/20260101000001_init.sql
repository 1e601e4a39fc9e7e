-- Create "accounts" table
CREATE TABLE "accounts" ("id" bigint NOT NULL, "name" text NOT NULL, PRIMARY KEY ("id"));
-- Create "migration_log" table: every migration appends its version, so a
-- file applied twice shows up twice.
CREATE TABLE "migration_log" ("version" text NOT NULL);
INSERT INTO "migration_log" ("version") VALUES ('20260101000001');
