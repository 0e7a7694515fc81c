// Versioned schema migrations. Each runs once, in order, inside one transaction with its version bump.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'foundation: parties, User IDs, officers, certificates, CRLs, audit',
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE parties (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
      );
      CREATE TABLE user_ids (
        eui TEXT PRIMARY KEY,
        party_id INTEGER NOT NULL REFERENCES parties(id),
        role TEXT NOT NULL,
        acting_for TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX user_ids_party ON user_ids(party_id);
      CREATE INDEX user_ids_acting_for ON user_ids(acting_for);
      CREATE TABLE officers (
        id TEXT PRIMARY KEY,
        party_id INTEGER NOT NULL REFERENCES parties(id),
        kind TEXT NOT NULL CHECK (kind IN ('sro', 'aro')),
        name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('nominated', 'active', 'suspended', 'revoked')),
        nominated_by TEXT REFERENCES officers(id),
        evidence TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE officer_history (
        officer_id TEXT NOT NULL REFERENCES officers(id),
        at TEXT NOT NULL,
        status TEXT NOT NULL,
        by TEXT NOT NULL,
        note TEXT
      );
      CREATE TABLE ca_certificates (
        kind TEXT PRIMARY KEY CHECK (kind IN ('root', 'issuing')),
        serial TEXT NOT NULL,
        der BLOB NOT NULL,
        key_file TEXT NOT NULL
      );
      -- A serial is recorded before anything is signed with it; it is never reused.
      CREATE TABLE serials (
        serial TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        profile TEXT NOT NULL,
        reserved_at TEXT NOT NULL
      );
      CREATE TABLE certificates (
        serial TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES user_ids(eui),
        profile TEXT NOT NULL,
        role_ou TEXT NOT NULL,
        key_usage TEXT NOT NULL,
        spki_sha256 TEXT NOT NULL UNIQUE,
        issuer_der BLOB NOT NULL,
        not_before TEXT NOT NULL,
        not_after TEXT NOT NULL,
        der BLOB NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('issued', 'registered')),
        officer_id TEXT,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
        revoked_at TEXT,
        revocation_reason TEXT,
        solr_event_id TEXT
      );
      CREATE INDEX certificates_user ON certificates(user_id);
      CREATE TABLE crls (
        number INTEGER PRIMARY KEY,
        this_update TEXT NOT NULL,
        next_update TEXT NOT NULL,
        der BLOB NOT NULL
      );
      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        mac TEXT NOT NULL
      );
    `,
  },
];
