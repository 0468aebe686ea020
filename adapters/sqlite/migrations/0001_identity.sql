-- Portico identity storage on SQLite.
--
-- Every table is prefixed `portico_` so that it can live in a host's own database.
-- Times are UTC instants as INTEGER microseconds since the Unix epoch (PostgreSQL's precision,
-- so both adapters read back the same values). Identifiers are UUIDs as lower-case hyphenated
-- TEXT (so they sort like the UUIDs themselves). Token hashes are 32-byte BLOBs. Settings, mail
-- content, actors and session kinds are JSON TEXT.

CREATE TABLE portico_agencies (
    id          TEXT    NOT NULL PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    settings    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE portico_accounts (
    id                   TEXT    NOT NULL PRIMARY KEY,
    agency               TEXT    NOT NULL REFERENCES portico_agencies (id),
    username             TEXT    NOT NULL,
    username_key         TEXT    NOT NULL,
    email                TEXT    NOT NULL,
    email_key            TEXT    NOT NULL,
    display_name         TEXT    NOT NULL,
    status               TEXT    NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
    password_hash        TEXT,
    created_at           INTEGER NOT NULL,
    activated_at         INTEGER,
    password_changed_at  INTEGER,
    UNIQUE (agency, id)
) STRICT;
CREATE INDEX portico_accounts_username ON portico_accounts (agency, username_key);
CREATE INDEX portico_accounts_email ON portico_accounts (agency, email_key);

-- Usernames and email addresses form one namespace per agency: every account owns the rows of
-- its username key and its email key here, and the primary key refuses a key owned by another.
CREATE TABLE portico_login_keys (
    agency   TEXT NOT NULL,
    key      TEXT NOT NULL,
    account  TEXT NOT NULL,
    PRIMARY KEY (agency, key),
    FOREIGN KEY (agency, account) REFERENCES portico_accounts (agency, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX portico_login_keys_account ON portico_login_keys (agency, account);

CREATE TABLE portico_contacts (
    agency   TEXT NOT NULL,
    contact  TEXT NOT NULL,
    account  TEXT NOT NULL,
    PRIMARY KEY (agency, contact),
    FOREIGN KEY (agency, account) REFERENCES portico_accounts (agency, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX portico_contacts_account ON portico_contacts (agency, account);

CREATE TABLE portico_links (
    id          TEXT    NOT NULL PRIMARY KEY,
    agency      TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('invitation', 'password_reset', 'email_change')),
    hash        BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    revoked_at  INTEGER,
    revocation  TEXT    CHECK (revocation IN ('superseded', 'revoked', 'account_changed')),
    created_by  TEXT    NOT NULL,
    new_email   TEXT,
    FOREIGN KEY (agency, account) REFERENCES portico_accounts (agency, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX portico_links_account ON portico_links (agency, account, purpose);
CREATE INDEX portico_links_created ON portico_links (agency, created_at);
CREATE INDEX portico_links_expires ON portico_links (expires_at);
CREATE INDEX portico_links_used ON portico_links (used_at) WHERE used_at IS NOT NULL;
CREATE INDEX portico_links_revoked ON portico_links (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE portico_sessions (
    id                   TEXT    NOT NULL PRIMARY KEY,
    agency               TEXT    NOT NULL,
    account              TEXT    NOT NULL,
    hash                 BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
    kind                 TEXT    NOT NULL,
    created_at           INTEGER NOT NULL,
    last_seen_at         INTEGER NOT NULL,
    idle_expires_at      INTEGER NOT NULL,
    absolute_expires_at  INTEGER NOT NULL,
    address              TEXT,
    user_agent           TEXT,
    FOREIGN KEY (agency, account) REFERENCES portico_accounts (agency, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX portico_sessions_account ON portico_sessions (agency, account);
CREATE INDEX portico_sessions_idle ON portico_sessions (idle_expires_at);
CREATE INDEX portico_sessions_absolute ON portico_sessions (absolute_expires_at);

CREATE TABLE portico_codes (
    id            TEXT    NOT NULL PRIMARY KEY,
    agency        TEXT    NOT NULL,
    account       TEXT    NOT NULL,
    attempt_hash  BLOB    NOT NULL CHECK (length(attempt_hash) = 32),
    code_hash     BLOB    NOT NULL CHECK (length(code_hash) = 32),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    attempts      INTEGER NOT NULL CHECK (attempts >= 0),
    used_at       INTEGER,
    revoked_at    INTEGER,
    FOREIGN KEY (agency, account) REFERENCES portico_accounts (agency, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX portico_codes_attempt ON portico_codes (agency, attempt_hash);
CREATE INDEX portico_codes_account ON portico_codes (agency, account);
CREATE INDEX portico_codes_expires ON portico_codes (expires_at);

CREATE TABLE portico_throttle (
    agency           TEXT    NOT NULL,
    key              TEXT    NOT NULL,
    failures         INTEGER NOT NULL CHECK (failures >= 0),
    last_failure_at  INTEGER,
    PRIMARY KEY (agency, key)
) STRICT, WITHOUT ROWID;

-- The audit log: `seq` keeps the order of appending (ties of `at` read later-first).
CREATE TABLE portico_audit (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    id       TEXT    NOT NULL UNIQUE,
    agency   TEXT    NOT NULL REFERENCES portico_agencies (id),
    at       INTEGER NOT NULL,
    actor    TEXT    NOT NULL,
    account  TEXT,
    kind     TEXT    NOT NULL,
    address  TEXT,
    detail   TEXT    NOT NULL
) STRICT;
CREATE INDEX portico_audit_agency_at ON portico_audit (agency, at, seq);
CREATE INDEX portico_audit_account ON portico_audit (agency, account, at);

CREATE TRIGGER portico_audit_no_update BEFORE UPDATE ON portico_audit
BEGIN
    SELECT RAISE(ABORT, 'portico_audit is append-only');
END;
CREATE TRIGGER portico_audit_no_delete BEFORE DELETE ON portico_audit
BEGIN
    SELECT RAISE(ABORT, 'portico_audit is append-only');
END;

CREATE TABLE portico_outbox (
    id               TEXT    NOT NULL PRIMARY KEY,
    agency           TEXT    NOT NULL REFERENCES portico_agencies (id),
    recipient        TEXT    NOT NULL,
    content          TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL CHECK (attempts >= 0),
    created_at       INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    sent_at          INTEGER
) STRICT;
CREATE INDEX portico_outbox_due ON portico_outbox (status, next_attempt_at);
CREATE INDEX portico_outbox_agency ON portico_outbox (agency, created_at);
CREATE INDEX portico_outbox_sent ON portico_outbox (sent_at) WHERE status = 'sent';

CREATE TABLE portico_api_keys (
    id          TEXT    NOT NULL PRIMARY KEY,
    agency      TEXT    NOT NULL REFERENCES portico_agencies (id),
    name        TEXT    NOT NULL,
    prefix      TEXT    NOT NULL,
    hash        BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER
) STRICT;
CREATE INDEX portico_api_keys_prefix ON portico_api_keys (prefix);
CREATE INDEX portico_api_keys_agency ON portico_api_keys (agency, created_at);
