-- Portico access storage on PostgreSQL: properties, client groups, grants, shared documents.
-- Same conventions as 0001 (uuid, timestamptz, jsonb).

CREATE TABLE portico_properties (
    id            uuid        NOT NULL PRIMARY KEY,
    agency        uuid        NOT NULL REFERENCES portico_agencies (id),
    host_ref      text    NOT NULL,
    kind          text    NOT NULL CHECK (kind IN ('lettings', 'sales')),
    display_name  text    NOT NULL,
    manager       text,
    negotiator    text,
    valuer        text,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    UNIQUE (agency, host_ref),
    UNIQUE (agency, id)
);

CREATE TABLE portico_groups (
    id          uuid        NOT NULL PRIMARY KEY,
    agency      uuid        NOT NULL REFERENCES portico_agencies (id),
    name        text    NOT NULL,
    parent      uuid,
    created_at  timestamptz NOT NULL,
    UNIQUE (agency, name),
    UNIQUE (agency, id),
    FOREIGN KEY (agency, parent) REFERENCES portico_groups (agency, id)
);
CREATE INDEX portico_groups_parent ON portico_groups (agency, parent);

-- A grant's subject is an account or a group: exactly one of the two columns is set, and
-- each has its foreign key (a grant goes with its subject and with its property).
CREATE TABLE portico_grants (
    id               uuid        NOT NULL PRIMARY KEY,
    agency           uuid        NOT NULL,
    subject_account  uuid,
    subject_group    uuid,
    property         uuid        NOT NULL,
    role             text    NOT NULL,
    scopes           jsonb   NOT NULL,
    buyer_names      text    NOT NULL,
    valid_from       timestamptz,
    valid_until      timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK ((subject_account IS NULL) <> (subject_group IS NULL)),
    FOREIGN KEY (agency, property) REFERENCES portico_properties (agency, id) ON DELETE CASCADE,
    FOREIGN KEY (agency, subject_account) REFERENCES portico_accounts (agency, id)
        ON DELETE CASCADE,
    FOREIGN KEY (agency, subject_group) REFERENCES portico_groups (agency, id) ON DELETE CASCADE
);
CREATE INDEX portico_grants_account ON portico_grants (agency, subject_account, property)
    WHERE subject_account IS NOT NULL;
CREATE INDEX portico_grants_group ON portico_grants (agency, subject_group, property)
    WHERE subject_group IS NOT NULL;
CREATE INDEX portico_grants_property ON portico_grants (agency, property);

CREATE TABLE portico_memberships (
    agency   uuid NOT NULL,
    grp      uuid NOT NULL,
    account  uuid NOT NULL,
    PRIMARY KEY (agency, grp, account),
    FOREIGN KEY (agency, grp) REFERENCES portico_groups (agency, id) ON DELETE CASCADE,
    FOREIGN KEY (agency, account) REFERENCES portico_accounts (agency, id) ON DELETE CASCADE
);
CREATE INDEX portico_memberships_account ON portico_memberships (agency, account);

CREATE TABLE portico_documents (
    id          uuid        NOT NULL PRIMARY KEY,
    agency      uuid        NOT NULL,
    property    uuid        NOT NULL,
    host_ref    text    NOT NULL,
    category    text    NOT NULL
                CHECK (category IN ('statement', 'certificate', 'inspection', 'tenancy', 'general')),
    title       text    NOT NULL,
    shared_at   timestamptz NOT NULL,
    UNIQUE (agency, property, host_ref),
    FOREIGN KEY (agency, property) REFERENCES portico_properties (agency, id) ON DELETE CASCADE
);
CREATE INDEX portico_documents_property ON portico_documents (agency, property, shared_at);
