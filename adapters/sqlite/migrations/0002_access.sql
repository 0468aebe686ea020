-- Portico access storage on SQLite: properties, client groups, grants, shared documents.
-- Same conventions as 0001 (TEXT UUIDs, INTEGER microseconds, JSON TEXT).

CREATE TABLE portico_properties (
    id            TEXT    NOT NULL PRIMARY KEY,
    agency        TEXT    NOT NULL REFERENCES portico_agencies (id),
    host_ref      TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('lettings', 'sales')),
    display_name  TEXT    NOT NULL,
    manager       TEXT,
    negotiator    TEXT,
    valuer        TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (agency, host_ref),
    UNIQUE (agency, id)
) STRICT;

CREATE TABLE portico_groups (
    id          TEXT    NOT NULL PRIMARY KEY,
    agency      TEXT    NOT NULL REFERENCES portico_agencies (id),
    name        TEXT    NOT NULL,
    parent      TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (agency, name),
    UNIQUE (agency, id),
    FOREIGN KEY (agency, parent) REFERENCES portico_groups (agency, id)
) STRICT;
CREATE INDEX portico_groups_parent ON portico_groups (agency, parent);

-- A grant's subject is an account or a group: exactly one of the two columns is set, and
-- each has its foreign key (a grant goes with its subject and with its property).
CREATE TABLE portico_grants (
    id               TEXT    NOT NULL PRIMARY KEY,
    agency           TEXT    NOT NULL,
    subject_account  TEXT,
    subject_group    TEXT,
    property         TEXT    NOT NULL,
    role             TEXT    NOT NULL,
    scopes           TEXT    NOT NULL,
    buyer_names      TEXT    NOT NULL,
    valid_from       INTEGER,
    valid_until      INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK ((subject_account IS NULL) <> (subject_group IS NULL)),
    FOREIGN KEY (agency, property) REFERENCES portico_properties (agency, id) ON DELETE CASCADE,
    FOREIGN KEY (agency, subject_account) REFERENCES portico_accounts (agency, id)
        ON DELETE CASCADE,
    FOREIGN KEY (agency, subject_group) REFERENCES portico_groups (agency, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX portico_grants_account ON portico_grants (agency, subject_account, property)
    WHERE subject_account IS NOT NULL;
CREATE INDEX portico_grants_group ON portico_grants (agency, subject_group, property)
    WHERE subject_group IS NOT NULL;
CREATE INDEX portico_grants_property ON portico_grants (agency, property);

CREATE TABLE portico_memberships (
    agency   TEXT NOT NULL,
    grp      TEXT NOT NULL,
    account  TEXT NOT NULL,
    PRIMARY KEY (agency, grp, account),
    FOREIGN KEY (agency, grp) REFERENCES portico_groups (agency, id) ON DELETE CASCADE,
    FOREIGN KEY (agency, account) REFERENCES portico_accounts (agency, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX portico_memberships_account ON portico_memberships (agency, account);

CREATE TABLE portico_documents (
    id          TEXT    NOT NULL PRIMARY KEY,
    agency      TEXT    NOT NULL,
    property    TEXT    NOT NULL,
    host_ref    TEXT    NOT NULL,
    category    TEXT    NOT NULL
                CHECK (category IN ('statement', 'certificate', 'inspection', 'tenancy', 'general')),
    title       TEXT    NOT NULL,
    shared_at   INTEGER NOT NULL,
    UNIQUE (agency, property, host_ref),
    FOREIGN KEY (agency, property) REFERENCES portico_properties (agency, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX portico_documents_property ON portico_documents (agency, property, shared_at);
