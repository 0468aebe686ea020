-- Portico identity storage on PostgreSQL.
--
-- Every table is prefixed `portico_` so that it can live in a host's own database (and
-- schema: the tables go to the first schema of the connection's `search_path`).
-- Times are `timestamptz` (UTC instants, microsecond precision), identifiers `uuid`, token
-- hashes 32-byte `bytea`, settings, mail content, actors and session kinds `jsonb`.
-- Counters are `bigint` (they hold a Rust `u32`).

CREATE TABLE portico_agencies (
    id          uuid        NOT NULL PRIMARY KEY,
    slug        text        NOT NULL UNIQUE,
    name        text        NOT NULL,
    settings    jsonb       NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE portico_accounts (
    id                   uuid        NOT NULL PRIMARY KEY,
    agency               uuid        NOT NULL REFERENCES portico_agencies (id),
    username             text        NOT NULL,
    username_key         text        NOT NULL,
    email                text        NOT NULL,
    email_key            text        NOT NULL,
    display_name         text        NOT NULL,
    status               text        NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
    password_hash        text,
    created_at           timestamptz NOT NULL,
    activated_at         timestamptz,
    password_changed_at  timestamptz,
    UNIQUE (agency, id)
);
CREATE INDEX portico_accounts_username ON portico_accounts (agency, username_key);
CREATE INDEX portico_accounts_email ON portico_accounts (agency, email_key);
CREATE INDEX portico_accounts_list ON portico_accounts (agency, username_key COLLATE "C", id);

-- Usernames and email addresses form one namespace per agency: every account owns the rows of
-- its username key and its email key here, and the primary key refuses a key owned by another
-- (also between concurrent transactions).
CREATE TABLE portico_login_keys (
    agency   uuid NOT NULL,
    key      text NOT NULL,
    account  uuid NOT NULL,
    PRIMARY KEY (agency, key),
    FOREIGN KEY (agency, account) REFERENCES portico_accounts (agency, id) ON DELETE CASCADE
);
CREATE INDEX portico_login_keys_account ON portico_login_keys (agency, account);

CREATE TABLE portico_contacts (
    agency   uuid NOT NULL,
    contact  text NOT NULL,
    account  uuid NOT NULL,
    PRIMARY KEY (agency, contact),
    FOREIGN KEY (agency, account) REFERENCES portico_accounts (agency, id) ON DELETE CASCADE
);
CREATE INDEX portico_contacts_account ON portico_contacts (agency, account);

CREATE TABLE portico_links (
    id          uuid        NOT NULL PRIMARY KEY,
    agency      uuid        NOT NULL,
    account     uuid        NOT NULL,
    purpose     text        NOT NULL
                CHECK (purpose IN ('invitation', 'password_reset', 'email_change')),
    hash        bytea       NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    revocation  text        CHECK (revocation IN ('superseded', 'revoked', 'account_changed')),
    created_by  jsonb       NOT NULL,
    new_email   text,
    FOREIGN KEY (agency, account) REFERENCES portico_accounts (agency, id) ON DELETE CASCADE
);
CREATE INDEX portico_links_account ON portico_links (agency, account, purpose);
CREATE INDEX portico_links_created ON portico_links (agency, created_at);
CREATE INDEX portico_links_expires ON portico_links (expires_at);
CREATE INDEX portico_links_used ON portico_links (used_at) WHERE used_at IS NOT NULL;
CREATE INDEX portico_links_revoked ON portico_links (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE portico_sessions (
    id                   uuid        NOT NULL PRIMARY KEY,
    agency               uuid        NOT NULL,
    account              uuid        NOT NULL,
    hash                 bytea       NOT NULL UNIQUE CHECK (length(hash) = 32),
    kind                 jsonb       NOT NULL,
    created_at           timestamptz NOT NULL,
    last_seen_at         timestamptz NOT NULL,
    idle_expires_at      timestamptz NOT NULL,
    absolute_expires_at  timestamptz NOT NULL,
    address              text,
    user_agent           text,
    FOREIGN KEY (agency, account) REFERENCES portico_accounts (agency, id) ON DELETE CASCADE
);
CREATE INDEX portico_sessions_account ON portico_sessions (agency, account);
CREATE INDEX portico_sessions_idle ON portico_sessions (idle_expires_at);
CREATE INDEX portico_sessions_absolute ON portico_sessions (absolute_expires_at);

CREATE TABLE portico_codes (
    id            uuid        NOT NULL PRIMARY KEY,
    agency        uuid        NOT NULL,
    account       uuid        NOT NULL,
    attempt_hash  bytea       NOT NULL CHECK (length(attempt_hash) = 32),
    code_hash     bytea       NOT NULL CHECK (length(code_hash) = 32),
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    attempts      bigint      NOT NULL CHECK (attempts >= 0),
    used_at       timestamptz,
    revoked_at    timestamptz,
    FOREIGN KEY (agency, account) REFERENCES portico_accounts (agency, id) ON DELETE CASCADE
);
CREATE INDEX portico_codes_attempt ON portico_codes (agency, attempt_hash);
CREATE INDEX portico_codes_account ON portico_codes (agency, account);
CREATE INDEX portico_codes_expires ON portico_codes (expires_at);

CREATE TABLE portico_throttle (
    agency           uuid        NOT NULL,
    key              text        NOT NULL,
    failures         bigint      NOT NULL CHECK (failures >= 0),
    last_failure_at  timestamptz,
    PRIMARY KEY (agency, key)
);

-- The audit log: `seq` keeps the order of appending (ties of `at` read later-first).
CREATE TABLE portico_audit (
    seq      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id       uuid        NOT NULL UNIQUE,
    agency   uuid        NOT NULL REFERENCES portico_agencies (id),
    at       timestamptz NOT NULL,
    actor    jsonb       NOT NULL,
    account  uuid,
    kind     text        NOT NULL,
    address  text,
    detail   text        NOT NULL
);
CREATE INDEX portico_audit_agency_at ON portico_audit (agency, at, seq);
CREATE INDEX portico_audit_account ON portico_audit (agency, account, at);

CREATE FUNCTION portico_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'portico_audit is append-only';
END;
$$;
CREATE TRIGGER portico_audit_no_change BEFORE UPDATE OR DELETE ON portico_audit
    FOR EACH ROW EXECUTE FUNCTION portico_audit_append_only();

CREATE TABLE portico_outbox (
    id               uuid        NOT NULL PRIMARY KEY,
    agency           uuid        NOT NULL REFERENCES portico_agencies (id),
    recipient        text        NOT NULL,
    content          jsonb       NOT NULL,
    status           text        NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts         bigint      NOT NULL CHECK (attempts >= 0),
    created_at       timestamptz NOT NULL,
    next_attempt_at  timestamptz NOT NULL,
    last_error       text,
    sent_at          timestamptz
);
CREATE INDEX portico_outbox_due ON portico_outbox (status, next_attempt_at);
CREATE INDEX portico_outbox_agency ON portico_outbox (agency, created_at);
CREATE INDEX portico_outbox_sent ON portico_outbox (sent_at) WHERE status = 'sent';

CREATE TABLE portico_api_keys (
    id          uuid        NOT NULL PRIMARY KEY,
    agency      uuid        NOT NULL REFERENCES portico_agencies (id),
    name        text        NOT NULL,
    prefix      text        NOT NULL,
    hash        bytea       NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX portico_api_keys_prefix ON portico_api_keys (prefix);
CREATE INDEX portico_api_keys_agency ON portico_api_keys (agency, created_at);
