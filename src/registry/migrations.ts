// Versioned schema migrations. Each runs once, in order, inside one transaction with its version bump.
import { KEY_HASH_COLUMN, keyHashSql } from './key-hash.js';
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * Protected tables (src/registry/row-mac.ts) whose existing rows this migration changes (a column
   * with a non-NULL default, a rewrite): they are verified before it runs and sealed again after.
   */
  reseal?: string[];
  /**
   * Protected tables this migration reads to build another from (verified before it runs, left as
   * they are): a row edited outside smki is refused by the upgrade, never copied into a new table.
   */
  verify?: string[];
  /**
   * Protected tables this migration creates. On PostgreSQL their change-recording trigger
   * (src/registry/pg-sealing.ts) is created after its SQL; the baseline creates only the others'.
   */
  creates?: string[];
  /**
   * The same change in PostgreSQL's dialect, for every migration after the PostgreSQL baseline
   * (src/registry/pg-baseline.ts): a PostgreSQL registry starts at the baseline's version.
   */
  pg?: string;
  /**
   * Protected tables that keep bucket tallies (src/registry/row-mac.ts) from this migration on: on a
   * registry that had tallies already, they are verified as they stand and their tallies built.
   */
  buckets?: string[];
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
  {
    version: 2,
    name: 'SoLR events, devices, ADT files, alerts, Service Request decisions',
    sql: `
      CREATE TABLE devices (
        eui TEXT PRIMARY KEY,
        device_type TEXT NOT NULL CHECK (device_type IN ('ESME', 'GSME', 'CHF', 'GPF', 'PPMID', 'IHD')),
        smets INTEGER NOT NULL CHECK (smets IN (1, 2)),
        supplier_eui TEXT NOT NULL REFERENCES user_ids(eui),
        updated_at TEXT NOT NULL
      );
      CREATE INDEX devices_supplier ON devices(supplier_eui);
      CREATE TABLE adt_files (
        id TEXT PRIMARY KEY,
        party_id INTEGER NOT NULL REFERENCES parties(id),
        supplier_eui TEXT NOT NULL REFERENCES user_ids(eui),
        officer_id TEXT NOT NULL REFERENCES officers(id),
        submitted_at TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        file_name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'superseded')),
        superseded_by TEXT
      );
      CREATE INDEX adt_files_supplier ON adt_files(party_id, supplier_eui, status);
      CREATE TABLE adt_thresholds (
        adt_id TEXT NOT NULL REFERENCES adt_files(id),
        service_reference_variant TEXT NOT NULL,
        warning_threshold INTEGER NOT NULL,
        quarantine_threshold INTEGER NOT NULL,
        PRIMARY KEY (adt_id, service_reference_variant)
      );
      CREATE TABLE solr_events (
        id TEXT PRIMARY KEY,
        failed_supplier TEXT NOT NULL REFERENCES user_ids(eui),
        srp_user_id TEXT NOT NULL REFERENCES user_ids(eui),
        instruction_ref TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        ends_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('recorded', 'approved', 'ended')),
        recorded_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        approved_by TEXT,
        approved_at TEXT,
        ended_by TEXT,
        ended_at TEXT,
        suppliers_revoked_at TEXT,
        suppliers_revoked_by TEXT
      );
      CREATE INDEX solr_events_srp ON solr_events(srp_user_id);
      CREATE INDEX solr_events_supplier ON solr_events(failed_supplier);
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        device_eui TEXT NOT NULL,
        alert_code TEXT,
        received_at TEXT NOT NULL,
        supplier_eui TEXT,
        destination TEXT,
        destination_kind TEXT NOT NULL CHECK (destination_kind IN ('supplier', 'srp', 'held')),
        solr_event_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('routed', 'held', 'released')),
        reason TEXT NOT NULL,
        released_at TEXT,
        file_sha256 TEXT
      );
      CREATE INDEX alerts_status ON alerts(status);
      CREATE TABLE sr_decisions (
        id INTEGER PRIMARY KEY,
        decided_at TEXT NOT NULL,
        source TEXT NOT NULL,
        request_id TEXT,
        originator TEXT,
        target TEXT,
        counter TEXT,
        command_variant INTEGER,
        service_reference_variant TEXT,
        device_type TEXT,
        supplier_eui TEXT,
        solr_event_id TEXT,
        decision TEXT NOT NULL CHECK (decision IN ('accept', 'refuse', 'quarantine')),
        reasons TEXT NOT NULL,
        warnings TEXT NOT NULL,
        doc_sha256 TEXT
      );
      CREATE INDEX sr_decisions_window ON sr_decisions(originator, supplier_eui, service_reference_variant, decision, decided_at);
      CREATE INDEX sr_decisions_event ON sr_decisions(solr_event_id);
      -- Highest accepted RequestID counter per originator (CommandVariants 1-4, 8), as a 20-digit string.
      CREATE TABLE replay_counters (
        originator TEXT PRIMARY KEY,
        counter TEXT NOT NULL
      );
      -- Accepted CommandVariant 4 requests awaiting their Signed Pre-Command.
      CREATE TABLE transforms (
        request_id TEXT PRIMARY KEY,
        originator TEXT NOT NULL,
        accepted_at TEXT NOT NULL,
        signed_precommand_at TEXT
      );
    `,
  },
  {
    version: 3,
    name: 'ADT counts by minute, so a rolling-window count costs the same however busy the window',
    sql: `
      CREATE TABLE adt_minute_counts (
        originator TEXT NOT NULL,
        supplier_eui TEXT NOT NULL,
        service_reference_variant TEXT NOT NULL,
        minute INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (originator, supplier_eui, service_reference_variant, minute)
      ) WITHOUT ROWID;
      INSERT INTO adt_minute_counts (originator, supplier_eui, service_reference_variant, minute, n)
        SELECT originator, supplier_eui, service_reference_variant, CAST(strftime('%s', decided_at) AS INTEGER) / 60, COUNT(*)
        FROM sr_decisions
        WHERE decision = 'accept' AND command_variant NOT IN (5, 6, 7) AND supplier_eui IS NOT NULL
        GROUP BY 1, 2, 3, 4;
    `,
  },
  {
    version: 4,
    name: "trust anchors: other CAs' chains (DCC's Organisation CA) that registered certificates must chain to",
    sql: `
      CREATE TABLE trust_anchors (
        sha256 TEXT PRIMARY KEY,
        subject_der BLOB NOT NULL,
        subject TEXT NOT NULL,
        der BLOB NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('root', 'intermediate')),
        purpose TEXT NOT NULL CHECK (purpose IN ('organisation-certificates')),
        registered_at TEXT NOT NULL,
        registered_by TEXT NOT NULL
      );
      CREATE INDEX trust_anchors_subject ON trust_anchors (subject_der);
    `,
  },
  {
    version: 5,
    name: 'one User ID, several User Roles: roles move to user_id_roles (a dual-fuel Supplier is IS and GS on one EUI)',
    sql: `
      CREATE TABLE user_id_roles (
        eui TEXT NOT NULL REFERENCES user_ids(eui),
        role TEXT NOT NULL,
        acting_for TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (eui, role)
      );
      CREATE INDEX user_id_roles_acting_for ON user_id_roles(acting_for);
      CREATE INDEX user_id_roles_role ON user_id_roles(role);
      INSERT INTO user_id_roles (eui, role, acting_for, created_at) SELECT eui, role, acting_for, created_at FROM user_ids;
      DROP INDEX user_ids_acting_for;
      ALTER TABLE user_ids DROP COLUMN acting_for;
      ALTER TABLE user_ids DROP COLUMN role;
    `,
  },
  {
    version: 6,
    name: 'retired CA certificates: an Issuing OCA replaced by smki ca issue-issuing is kept',
    sql: `
      CREATE TABLE ca_certificate_history (
        serial TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('root', 'issuing')),
        der BLOB NOT NULL,
        key_file TEXT NOT NULL,
        retired_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: 'tamper evidence: a MAC per row of every security table, digests per table, a state bound to the audit head',
    sql: `
      ALTER TABLE meta ADD COLUMN row_mac BLOB;
      ALTER TABLE counters ADD COLUMN row_mac BLOB;
      ALTER TABLE parties ADD COLUMN row_mac BLOB;
      ALTER TABLE user_ids ADD COLUMN row_mac BLOB;
      ALTER TABLE user_id_roles ADD COLUMN row_mac BLOB;
      ALTER TABLE officers ADD COLUMN row_mac BLOB;
      ALTER TABLE officer_history ADD COLUMN row_mac BLOB;
      ALTER TABLE ca_certificates ADD COLUMN row_mac BLOB;
      ALTER TABLE serials ADD COLUMN row_mac BLOB;
      ALTER TABLE certificates ADD COLUMN row_mac BLOB;
      ALTER TABLE crls ADD COLUMN row_mac BLOB;
      ALTER TABLE devices ADD COLUMN row_mac BLOB;
      ALTER TABLE adt_files ADD COLUMN row_mac BLOB;
      ALTER TABLE adt_thresholds ADD COLUMN row_mac BLOB;
      ALTER TABLE solr_events ADD COLUMN row_mac BLOB;
      ALTER TABLE alerts ADD COLUMN row_mac BLOB;
      ALTER TABLE sr_decisions ADD COLUMN row_mac BLOB;
      ALTER TABLE replay_counters ADD COLUMN row_mac BLOB;
      ALTER TABLE transforms ADD COLUMN row_mac BLOB;
      ALTER TABLE adt_minute_counts ADD COLUMN row_mac BLOB;
      ALTER TABLE trust_anchors ADD COLUMN row_mac BLOB;
      ALTER TABLE ca_certificate_history ADD COLUMN row_mac BLOB;
      CREATE TABLE integrity_digests (
        name TEXT PRIMARY KEY,
        rows INTEGER NOT NULL,
        digest BLOB NOT NULL
      );
      CREATE TABLE integrity_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        audit_seq INTEGER NOT NULL,
        audit_hash TEXT NOT NULL,
        digests TEXT NOT NULL,
        mac BLOB NOT NULL
      );
    `,
  },
  {
    version: 8,
    name: "DUIS alerts: addressee, kind, the DSP certificate that signed them; the SoLR event's handover Supplier; registered DSP certificates",
    // Verified before the rewrite, sealed again after: an edit made before the upgrade is never laundered.
    reseal: ['alerts', 'solr_events'],
    sql: `
      CREATE TABLE alerts_v6 (
        id TEXT PRIMARY KEY,
        device_eui TEXT,
        alert_code TEXT,
        received_at TEXT NOT NULL,
        supplier_eui TEXT,
        destination TEXT,
        destination_kind TEXT NOT NULL CHECK (destination_kind IN ('supplier', 'srp', 'handover', 'addressee', 'held')),
        solr_event_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('routed', 'held', 'released')),
        reason TEXT NOT NULL,
        released_at TEXT,
        file_sha256 TEXT,
        addressee TEXT,
        alert_kind TEXT NOT NULL CHECK (alert_kind IN ('device', 'dcc', 'unreadable', 'flags')),
        dsp_certificate TEXT,
        problem TEXT,
        row_mac BLOB
      );
      INSERT INTO alerts_v6 (id, device_eui, alert_code, received_at, supplier_eui, destination, destination_kind, solr_event_id, status, reason, released_at, file_sha256, addressee, alert_kind)
        SELECT id, device_eui, alert_code, received_at, supplier_eui, destination, destination_kind, solr_event_id, status, reason, released_at, file_sha256, supplier_eui, 'flags' FROM alerts;
      DROP TABLE alerts;
      ALTER TABLE alerts_v6 RENAME TO alerts;
      CREATE INDEX alerts_status ON alerts(status);
      ALTER TABLE solr_events ADD COLUMN handover_to TEXT;
      -- Columns changed: these tables' rows are sealed afresh when the registry opens (row-mac.ts).
      UPDATE solr_events SET row_mac = NULL;
      DELETE FROM integrity_digests WHERE name IN ('alerts', 'solr_events');
      CREATE TABLE dsp_certificates (
        serial TEXT PRIMARY KEY,
        eui TEXT NOT NULL,
        issuer TEXT NOT NULL,
        not_before TEXT NOT NULL,
        not_after TEXT NOT NULL,
        der BLOB NOT NULL,
        trust_anchor_sha256 TEXT NOT NULL,
        registered_at TEXT NOT NULL,
        registered_by TEXT NOT NULL,
        row_mac BLOB
      );
    `,
  },
  {
    version: 9,
    name: 'quarantined Service Requests: the AD1-style record kept for the SRP, released or deleted by an ARO of the SRP',
    sql: `
      CREATE TABLE sr_quarantine (
        id TEXT PRIMARY KEY,
        decision_id INTEGER NOT NULL UNIQUE REFERENCES sr_decisions(id),
        alert_code TEXT NOT NULL,
        request_id TEXT NOT NULL,
        originator TEXT NOT NULL,
        target TEXT NOT NULL,
        counter TEXT NOT NULL,
        command_variant INTEGER NOT NULL,
        service_reference_variant TEXT NOT NULL,
        supplier_eui TEXT,
        solr_event_id TEXT,
        source TEXT NOT NULL,
        doc_sha256 TEXT NOT NULL,
        detail TEXT NOT NULL,
        quarantined_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('quarantined', 'released', 'deleted')),
        acted_by_officer TEXT,
        acted_by TEXT,
        acted_at TEXT,
        row_mac BLOB
      );
      CREATE INDEX sr_quarantine_event ON sr_quarantine(solr_event_id);
      CREATE INDEX sr_quarantine_released ON sr_quarantine(originator, supplier_eui, service_reference_variant, acted_at) WHERE status = 'released';
    `,
  },
  {
    version: 10,
    name: 'people act with keys: RA operators and their public keys, officer keys, signed statements in the audit chain',
    sql: `
      -- An RA operator is a registered P-256 public key under a name; revocation keeps the row (history).
      CREATE TABLE operators (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        key_id TEXT NOT NULL,
        public_key BLOB NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
        added_at TEXT NOT NULL,
        added_by TEXT NOT NULL,
        added_seq INTEGER NOT NULL,
        revoked_at TEXT,
        revoked_by TEXT,
        revoked_seq INTEGER,
        row_mac BLOB
      );
      CREATE INDEX operators_key ON operators(key_id);
      -- SROs and AROs have keys too (NULL for officers registered before keys existed).
      ALTER TABLE officers ADD COLUMN key_id TEXT;
      ALTER TABLE officers ADD COLUMN public_key BLOB;
      ALTER TABLE officers ADD COLUMN added_seq INTEGER;
      CREATE INDEX officers_key ON officers(key_id);
      -- The statement the acting person signed and its signature, kept with the record (and in its hash).
      ALTER TABLE audit ADD COLUMN statement TEXT;
      ALTER TABLE audit ADD COLUMN signature TEXT;
      CREATE INDEX audit_subject_action ON audit(subject, action);
    `,
  },
  {
    version: 11,
    name: 'Service Request decisions found by their document (SHA-256): an interrupted sr check run again reports what it decided as already decided',
    sql: `
      CREATE INDEX sr_decisions_doc ON sr_decisions(doc_sha256);
    `,
  },
  {
    version: 12,
    name: 'flat costs at scale: only the newest CRL kept whole (older ones by hash, entries and size); certificates note the first CRL that lists them; list and CRL indexes',
    // Rows are updated (crl_number): verified before, sealed again after.
    reseal: ['certificates'],
    sql: `
      CREATE TABLE crls_v12 (
        number INTEGER PRIMARY KEY,
        this_update TEXT NOT NULL,
        next_update TEXT NOT NULL,
        der BLOB,
        row_mac BLOB,
        sha256 TEXT,
        entries INTEGER,
        bytes INTEGER,
        CHECK (der IS NOT NULL OR (sha256 IS NOT NULL AND entries IS NOT NULL AND bytes IS NOT NULL))
      );
      -- The same columns in the same order (new ones NULL): every row MAC and the digest stay valid.
      INSERT INTO crls_v12 (number, this_update, next_update, der, row_mac) SELECT number, this_update, next_update, der, row_mac FROM crls;
      DROP TABLE crls;
      ALTER TABLE crls_v12 RENAME TO crls;
      ALTER TABLE certificates ADD COLUMN crl_number INTEGER;
      -- Every revocation so far was listed by the newest CRL (each revocation signs one).
      UPDATE certificates SET crl_number = (SELECT max(number) FROM crls) WHERE status = 'revoked' AND source = 'issued';
      CREATE INDEX certificates_created ON certificates(created_at, serial);
      CREATE INDEX certificates_crl_pending ON certificates(serial) WHERE status = 'revoked' AND source = 'issued' AND crl_number IS NULL;
      CREATE INDEX certificates_user_status ON certificates(user_id, status);
    `,
  },
  {
    version: 13,
    name: 'CRLs of retired Issuing OCAs: certificates issued under an old Issuing key stay revocable, by a CRL that key signs',
    sql: `
      CREATE TABLE retired_crls (
        issuer_serial TEXT NOT NULL,
        number INTEGER NOT NULL,
        this_update TEXT NOT NULL,
        next_update TEXT NOT NULL,
        der BLOB NOT NULL,
        row_mac BLOB,
        PRIMARY KEY (issuer_serial, number)
      );
    `,
  },
  {
    version: 14,
    name: 'Row MAC tallies per bucket of 64 rowids, so a row restored from an older copy is refused on read (src/registry/row-mac.ts)',
    // Built from the verified rows by the registry at the upgrade (RowGuard.buildBuckets).
    sql: `
      CREATE TABLE integrity_buckets (
        name TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        rows INTEGER NOT NULL,
        digest BLOB NOT NULL,
        PRIMARY KEY (name, bucket)
      ) WITHOUT ROWID;
    `,
    // On PostgreSQL the table comes here and its tallies from migration 15 (PG_BUCKETS_VERSION).
    pg: `
      CREATE TABLE integrity_buckets (
        name TEXT COLLATE "C" NOT NULL,
        bucket BIGINT NOT NULL,
        rows BIGINT NOT NULL,
        digest BYTEA NOT NULL,
        PRIMARY KEY (name, bucket)
      );
    `,
  },
  {
    version: 15,
    name: 'Bucket tallies on PostgreSQL too: a row restored from an older copy is refused on read there as on SQLite',
    // SQLite keeps them from migration 14. On PostgreSQL the registry builds them from the verified rows
    // at this upgrade (RowGuard.buildBuckets), after dropping any an export from SQLite brought along.
    sql: '',
    pg: 'DELETE FROM integrity_buckets',
  },
  {
    version: 16,
    name: 'ADT minute counts tallied by buckets of 64 minutes, so a minute count deleted outside smki is refused by the gate that sums its ADT window',
    // A bucket is read by its range of minutes (the primary key leads with the originator).
    sql: 'CREATE INDEX IF NOT EXISTS adt_minute_counts_minute ON adt_minute_counts(minute);',
    pg: 'CREATE INDEX IF NOT EXISTS adt_minute_counts_minute ON adt_minute_counts(minute);',
    buckets: ['adt_minute_counts'],
  },
  {
    version: 17,
    name: "A User ID's role count in its own row, so a role (and its acting-for) deleted outside smki is refused where the User ID is read",
    // The count is covered by the User ID row's MAC; its role rows are verified before and counted here.
    sql: `
      ALTER TABLE user_ids ADD COLUMN role_count INTEGER;
      UPDATE user_ids SET role_count = (SELECT count(*) FROM user_id_roles r WHERE r.eui = user_ids.eui);
    `,
    pg: `
      ALTER TABLE user_ids ADD COLUMN IF NOT EXISTS role_count bigint;
      UPDATE user_ids SET role_count = (SELECT count(*) FROM user_id_roles r WHERE r.eui = user_ids.eui);
    `,
    reseal: ['user_ids', 'user_id_roles'],
  },
  {
    version: 18,
    name: 'Devices and certificates tallied by a hash of their key, so a row deleted outside smki is refused where its key is looked up',
    // smki writes key_hash with each row (src/registry/key-hash.ts) and the row MAC covers it; here it is
    // computed by the same function in SQL, after the rows were verified, and the rows sealed again.
    sql: `
      ALTER TABLE devices ADD COLUMN ${KEY_HASH_COLUMN} INTEGER;
      UPDATE devices SET ${KEY_HASH_COLUMN} = ${keyHashSql('eui', 'sqlite')};
      CREATE INDEX devices_key_hash ON devices(${KEY_HASH_COLUMN});
      ALTER TABLE certificates ADD COLUMN ${KEY_HASH_COLUMN} INTEGER;
      UPDATE certificates SET ${KEY_HASH_COLUMN} = ${keyHashSql('serial', 'sqlite')};
      CREATE INDEX certificates_key_hash ON certificates(${KEY_HASH_COLUMN});
    `,
    pg: `
      ALTER TABLE devices ADD COLUMN IF NOT EXISTS ${KEY_HASH_COLUMN} bigint;
      UPDATE devices SET ${KEY_HASH_COLUMN} = ${keyHashSql('eui', 'postgres')};
      CREATE INDEX IF NOT EXISTS devices_key_hash ON devices(${KEY_HASH_COLUMN});
      ALTER TABLE certificates ADD COLUMN IF NOT EXISTS ${KEY_HASH_COLUMN} bigint;
      UPDATE certificates SET ${KEY_HASH_COLUMN} = ${keyHashSql('serial', 'postgres')};
      CREATE INDEX IF NOT EXISTS certificates_key_hash ON certificates(${KEY_HASH_COLUMN});
    `,
    reseal: ['devices', 'certificates'],
  },
  {
    version: 19,
    name: "Each certificate's key in a table keyed by its SHA-256 and tallied by its hash, so a certificate deleted outside smki is refused where issuance asks whether its key is certified",
    // The certificates are verified before their keys are copied; the new rows are sealed at the end of
    // the upgrade (a table protected for the first time). Issuance no longer writes `serials` (the
    // certificate's primary key and this table record the same): its rows from before stay verified.
    sql: `
      CREATE TABLE certified_keys (
        spki_sha256 TEXT PRIMARY KEY,
        serial TEXT NOT NULL,
        ${KEY_HASH_COLUMN} INTEGER NOT NULL,
        row_mac BLOB
      );
      INSERT INTO certified_keys (spki_sha256, serial, ${KEY_HASH_COLUMN}) SELECT spki_sha256, serial, ${keyHashSql('spki_sha256', 'sqlite')} FROM certificates ORDER BY rowid;
      CREATE INDEX certified_keys_key_hash ON certified_keys(${KEY_HASH_COLUMN});
    `,
    pg: `
      CREATE TABLE IF NOT EXISTS certified_keys (
        spki_sha256 text COLLATE "C" PRIMARY KEY,
        serial text COLLATE "C" NOT NULL,
        ${KEY_HASH_COLUMN} bigint NOT NULL,
        row_mac bytea,
        rowid bigint GENERATED BY DEFAULT AS IDENTITY
      );
      INSERT INTO certified_keys (spki_sha256, serial, ${KEY_HASH_COLUMN}) SELECT spki_sha256, serial, ${keyHashSql('spki_sha256', 'postgres')} FROM certificates ORDER BY rowid ON CONFLICT DO NOTHING;
      CREATE INDEX IF NOT EXISTS certified_keys_key_hash ON certified_keys(${KEY_HASH_COLUMN});
    `,
    verify: ['certificates'],
    creates: ['certified_keys'],
  },
];

/** Protected tables that a migration after `version` creates (not there yet at that schema). */
export function tablesCreatedAfter(version: number): Set<string> {
  return new Set(MIGRATIONS.filter((m) => m.version > version).flatMap((m) => m.creates ?? []));
}

/** The PostgreSQL registry keeps bucket tallies (src/registry/row-mac.ts) from this version on. */
export const PG_BUCKETS_VERSION = 15;
