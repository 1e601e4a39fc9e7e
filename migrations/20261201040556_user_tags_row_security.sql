-- Enable row-level security on table "user_tags"
ALTER TABLE "user_tags" ENABLE ROW LEVEL SECURITY;
-- Subject the owner of table "user_tags" to row-level security
ALTER TABLE "user_tags" FORCE ROW LEVEL SECURITY;
-- Create policy "tenant_isolation" on table "user_tags"
CREATE POLICY "tenant_isolation" ON "user_tags" AS PERMISSIVE FOR ALL TO PUBLIC USING (EXISTS (SELECT 1 FROM "users" p WHERE p."id" = "user_tags"."user_id")) WITH CHECK (EXISTS (SELECT 1 FROM "users" p WHERE p."id" = "user_tags"."user_id"));
