-- MCPlatform's tables as the sync reads them, written from the facts in issue 16
-- (K-Mistele/mcplatform, packages/database/src, commit ec28db7). Not their migration files.
CREATE TYPE support_request_status AS ENUM ('needs_email', 'pending', 'in_progress', 'resolved', 'closed');
CREATE TYPE support_request_method AS ENUM ('slack', 'linear', 'dashboard', 'none');
CREATE TYPE support_ticket_activity_type AS ENUM ('comment', 'status_change', 'assignment', 'field_update', 'system');
CREATE TYPE support_request_priority AS ENUM ('low', 'medium', 'high', 'critical');
CREATE TABLE organization (id text PRIMARY KEY, name text NOT NULL, slug text UNIQUE, created_at timestamp NOT NULL DEFAULT now());
CREATE TABLE "user" (id text PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, email_verified boolean NOT NULL DEFAULT false);
CREATE TABLE member (id text PRIMARY KEY, organization_id text NOT NULL REFERENCES organization(id), user_id text NOT NULL REFERENCES "user"(id), role text NOT NULL);
CREATE TABLE mcp_servers (id text PRIMARY KEY, organization_id text NOT NULL REFERENCES organization(id), name text NOT NULL, slug text NOT NULL UNIQUE, product_platform_or_tool text, auth_type text, created_at bigint);
CREATE TABLE mcp_server_user (id text PRIMARY KEY, distinct_id text UNIQUE, email text, first_seen_at bigint, upstream_sub text, profile_data jsonb);
CREATE TABLE mcp_oauth_user (id text PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, email_verified boolean NOT NULL DEFAULT false);
CREATE TABLE mcp_server_session (mcp_server_session_id text PRIMARY KEY, mcp_server_slug text NOT NULL REFERENCES mcp_servers(slug), connection_date date NOT NULL, connection_timestamp bigint, mcp_server_user_id text, title text);
CREATE TABLE mcp_tool_calls (id text PRIMARY KEY, created_at bigint, mcp_server_id text NOT NULL REFERENCES mcp_servers(id), tool_name text NOT NULL, mcp_server_user_id text, mcp_server_session_id text NOT NULL, input jsonb, output jsonb);
CREATE TABLE support_requests (id text PRIMARY KEY, created_at bigint, title text, concise_summary text, context text, status support_request_status NOT NULL DEFAULT 'pending', support_request_method support_request_method NOT NULL DEFAULT 'none', resolved_at bigint, email text NOT NULL, organization_id text NOT NULL REFERENCES organization(id), mcp_server_id text, mcp_server_session_id text, assignee_id text, priority support_request_priority NOT NULL DEFAULT 'medium');
CREATE TABLE support_ticket_activities (id text PRIMARY KEY, created_at bigint, support_request_id text NOT NULL REFERENCES support_requests(id), user_id text NOT NULL REFERENCES "user"(id), activity_type support_ticket_activity_type NOT NULL, content jsonb, content_type text DEFAULT 'text', metadata jsonb);
