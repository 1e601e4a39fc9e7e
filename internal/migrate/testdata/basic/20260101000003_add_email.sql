ALTER TABLE "accounts" ADD COLUMN IF NOT EXISTS "email" text NULL;
-- A function body with semicolons must stay one statement.
CREATE OR REPLACE FUNCTION "default_email"(n text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN lower(n) || '@example.com';
END;
$$;
UPDATE "accounts" SET "email" = "default_email"("name");
INSERT INTO "migration_log" ("version") VALUES ('20260101000003');
