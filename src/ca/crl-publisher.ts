// Makes, stores and writes the CRL. Called inside the transaction that changed revocation state, so
// the CRL row, the revocation and their audit records commit together; the file follows the commit.
import { statSync } from 'node:fs';
import { writeFileAtomic } from '../util/output.js';
import type { Catalogue } from '../config/catalogue.js';
import { SmkiError } from '../domain/errors.js';
import { crlRowMac, insertCrl, insertRetiredCrl, latestCrl, latestCrlNumber, listedRevocations, findCertificate, retiredIssuingCertificates, revokedIssuedBetween, takeUnlistedRevocations, trimCrlsBefore, type RevokedIssued } from '../registry/certificates.js';
import type { Registry } from '../registry/registry.js';
import type { AuditActor } from '../registry/audit.js';
import { carriedCrlEntries, type IssuingAuthority } from './authority.js';
import { crlEntriesOf, crlToPem, parseRevocationReason } from './crl.js';
import { isCurrent, statePath, type PublishedState } from './crl-file-state.js';
import { readOrganisationCertificate } from './organisation-certificate.js';

/** A CRL as this transaction signed it (another node may sign a newer one right after the commit). */
export interface SignedCrl { number: number; der: Buffer; thisUpdate: string; nextUpdate: string }

/**
 * Signs the next CRL and stores it (with its audit record) inside the caller's transaction. The cost is
 * that of the revocations no CRL lists yet: the entries of this CA's previous CRL are carried over as
 * they are (the CA checks that CRL is its own), the new ones are read from the registry, and the
 * previous CRL is then kept by hash, entry count and size only. With no usable previous CRL (the
 * first one, or after a new Issuing OCA key) every revocation is read.
 */
export function generateCrl(reg: Registry, ca: IssuingAuthority, catalogue: Catalogue, actor: AuditActor,
  /** Revocations of issued certificates made in this transaction and marked for this CRL (nextCrlNumber). */
  fresh: readonly RevokedIssued[] = []): SignedCrl {
  if (!reg.inTransaction) throw new Error('a CRL is generated inside a registry transaction');
  const previous = latestCrl(reg);
  const number = (previous?.number ?? 0) + 1;
  const thisUpdate = new Date(Math.floor(reg.now().getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + catalogue.ca.crlNextUpdateHours * 3600_000);
  const carried = previous ? carriedCrlEntries(ca, previous.der) : undefined;
  const facts = [...(carried ? [] : listedRevocations(reg, number)), ...takeUnlistedRevocations(reg, number), ...fresh];
  const revoked = facts.map((r) => ({
    serial: Buffer.from(r.serial, 'hex'),
    revokedAt: new Date(Math.floor(new Date(r.revokedAt).getTime() / 1000) * 1000),
    reason: parseRevocationReason(r.reason),
  }));
  const der = ca.signCrl({ crlNumber: BigInt(number), thisUpdate, nextUpdate, carried, revoked });
  insertCrl(reg, number, thisUpdate, nextUpdate, der);
  // The previous CRL was read and checked above: its entry count is known when it was carried.
  trimCrlsBefore(reg, number, (d) => (previous && carried && d === previous.der ? carried.count : crlEntriesOf(d).entries.count), previous);
  signedHere.set(reg, { number, der, mac: crlRowMac(reg, number) });
  const entries = (carried?.count ?? 0) + revoked.length;
  const retired = signRetiredCrls(reg, ca, number, thisUpdate, nextUpdate);
  reg.audit.append(thisUpdate, actor, 'crl.generate', `CRL-${number}`, { entries, nextUpdate: nextUpdate.toISOString(), ...(retired.length ? { retired } : {}) });
  return { number, der, thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString() };
}

/**
 * After a rollover each retired Issuing OCA whose key is at hand signs its own CRL, with the same
 * number, of the revoked certificates it issued (those created while it was current): a relying party
 * checks a certificate against its issuer's key. Retired CAs' sets no longer grow, so each is read whole.
 */
function signRetiredCrls(reg: Registry, ca: IssuingAuthority, number: number, thisUpdate: Date, nextUpdate: Date): { issuer: string; entries: number }[] {
  if (ca.retired.length === 0) return [];
  const periods = new Map<string, { from: number; until: number }>();
  let from = 0;
  for (const c of retiredIssuingCertificates(reg)) {
    periods.set(c.serial.toUpperCase(), { from, until: Date.parse(c.retiredAt) });
    from = Date.parse(c.retiredAt);
  }
  // A rollover's time is kept in whole seconds: a certificate created within a second of one is
  // attributed by its authorityKeyIdentifier, every other one by its creation time.
  const SLACK = 1000;
  const iso = (t: number) => new Date(Math.max(0, t)).toISOString();
  const near = (t: number, p: { from: number; until: number }) => Math.abs(t - p.from) <= SLACK || Math.abs(t - p.until) <= SLACK;
  return ca.retired.map((old) => {
    const period = periods.get(old.serialHex.toUpperCase());
    if (!period) throw new Error(`the retired Issuing OCA ${old.serialHex} is not in ca_certificate_history`);
    const issuedByIt = (r: { serial: string; createdAt: string }) => {
      const t = Date.parse(r.createdAt);
      if (near(t, period)) {
        const c = findCertificate(reg, r.serial);
        return c !== undefined && readOrganisationCertificate(c.der).aki?.equals(old.keyId) === true;
      }
      return t >= period.from && t < period.until;
    };
    const revoked = revokedIssuedBetween(reg, iso(period.from - SLACK), iso(period.until + SLACK + 1)).filter(issuedByIt).map((r) => ({
      serial: Buffer.from(r.serial, 'hex'),
      revokedAt: new Date(Math.floor(new Date(r.revokedAt).getTime() / 1000) * 1000),
      reason: parseRevocationReason(r.reason),
    }));
    insertRetiredCrl(reg, old.serialHex, number, thisUpdate, nextUpdate, old.signCrl({ crlNumber: BigInt(number), thisUpdate, nextUpdate, revoked }));
    return { issuer: old.serialHex, entries: revoked.length };
  });
}

/**
 * Publishes the registry's newest CRL as ca/current.crl.pem if the file is behind it (missing, older,
 * replaced or torn), after the CRL's transaction committed. The write happens under the registry's
 * write lock, which every CRL commit also holds, so two publishers never race and the file never
 * goes back to an older CRL Number; each writes its own temporary file and renames it into place, so
 * a reader sees the old file or the new one, never a part. Returns the path, or undefined with no CRL.
 */
export function writeCrlFile(reg: Registry): string | undefined {
  // Inside a transaction the CRL is not committed yet: the caller publishes after its commit.
  if (reg.inTransaction) return undefined;
  const newest = latestCrlNumber(reg);
  if (newest === undefined) return undefined;
  if (isCurrent(reg, newest)) return reg.paths.crl;
  try {
    publishUnderLock(reg);
  } catch (e) {
    if (e instanceof SmkiError) throw e;
    // The CRL is signed and stored; only its file is missing. A warning, never a failure.
    reg.warnings.push(`CRL ${newest} is stored in the registry, but ${reg.paths.crl} could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the next smki command writes it`);
    return undefined;
  }
  return reg.paths.crl;
}

/**
 * The CRL this process signed last, per registry, with the row MAC it was stored under: published
 * without reading the CRL back when the newest row is that very row (same MAC: same number, dates and
 * DER), which also rules out a rolled-back one whose number another process has since used.
 */
const signedHere = new WeakMap<Registry, { number: number; der: Buffer; mac: Buffer | undefined }>();

function publishUnderLock(reg: Registry): void {
  reg.tx(() => {
    // Under the write lock: the newest CRL is the one signed here if its number is, else it is read.
    const mine = signedHere.get(reg);
    const newest = latestCrlNumber(reg);
    const mac = mine && mine.number === newest ? crlRowMac(reg, newest) : undefined;
    const crl = mine?.mac && mac?.equals(mine.mac) ? mine : latestCrl(reg)!;
    if (isCurrent(reg, crl.number)) return;
    writeFileAtomic(reg.paths.crl, crlToPem(crl.der));
    const f = statSync(reg.paths.crl);
    writeFileAtomic(statePath(reg), JSON.stringify({ number: crl.number, size: f.size, mtimeMs: f.mtimeMs, ino: f.ino } satisfies PublishedState));
  });
}
