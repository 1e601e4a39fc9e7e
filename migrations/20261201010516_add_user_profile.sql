-- Modify "users" table
ALTER TABLE "users" ADD COLUMN "profile" jsonb NOT NULL DEFAULT '{}';
-- Create index "user_profile" to table: "users"
CREATE INDEX "user_profile" ON "users" USING gin ("profile" jsonb_path_ops);
