-- Enable row-level security on table "audit_events"
ALTER TABLE "audit_events" ENABLE ROW LEVEL SECURITY;
-- Subject the owner of table "audit_events" to row-level security
ALTER TABLE "audit_events" FORCE ROW LEVEL SECURITY;
-- Create policy "tenant_isolation" on table "audit_events"
CREATE POLICY "tenant_isolation" ON "audit_events" AS PERMISSIVE FOR ALL TO PUBLIC USING ("tenant_id" = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK ("tenant_id" = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
-- Enable row-level security on table "oidc_connectors"
ALTER TABLE "oidc_connectors" ENABLE ROW LEVEL SECURITY;
-- Subject the owner of table "oidc_connectors" to row-level security
ALTER TABLE "oidc_connectors" FORCE ROW LEVEL SECURITY;
-- Create policy "tenant_isolation" on table "oidc_connectors"
CREATE POLICY "tenant_isolation" ON "oidc_connectors" AS PERMISSIVE FOR ALL TO PUBLIC USING ("tenant_id" = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK ("tenant_id" = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
-- Enable row-level security on table "stored_objects"
ALTER TABLE "stored_objects" ENABLE ROW LEVEL SECURITY;
-- Subject the owner of table "stored_objects" to row-level security
ALTER TABLE "stored_objects" FORCE ROW LEVEL SECURITY;
-- Create policy "tenant_isolation" on table "stored_objects"
CREATE POLICY "tenant_isolation" ON "stored_objects" AS PERMISSIVE FOR ALL TO PUBLIC USING ("tenant_id" = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK ("tenant_id" = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
-- Enable row-level security on table "users"
ALTER TABLE "users" ENABLE ROW LEVEL SECURITY;
-- Subject the owner of table "users" to row-level security
ALTER TABLE "users" FORCE ROW LEVEL SECURITY;
-- Create policy "tenant_isolation" on table "users"
CREATE POLICY "tenant_isolation" ON "users" AS PERMISSIVE FOR ALL TO PUBLIC USING ("tenant_id" = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK ("tenant_id" = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
