-- Data migration: rows inserted before this version are rewritten.
UPDATE "accounts" SET "name" = upper("name");
INSERT INTO "migration_log" ("version") VALUES ('20260101000002');
