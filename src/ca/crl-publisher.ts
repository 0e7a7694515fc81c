// Makes, stores and writes the CRL. Called inside the transaction that changed revocation state, so
// the CRL row, the revocation and their audit records commit together; the file follows the commit.
import { renameSync, writeFileSync } from 'node:fs';
import type { Catalogue } from '../config/catalogue.js';
import { insertCrl, latestCrl, listRevokedIssued } from '../registry/certificates.js';
import type { Registry } from '../registry/registry.js';
import type { IssuingAuthority } from './authority.js';
import { crlToPem, parseRevocationReason } from './crl.js';

export function generateCrl(reg: Registry, ca: IssuingAuthority, catalogue: Catalogue, actor: string): { number: number; der: Buffer } {
  if (!reg.db.inTransaction) throw new Error('a CRL is generated inside a registry transaction');
  const number = (latestCrl(reg)?.number ?? 0) + 1;
  const thisUpdate = new Date(Math.floor(reg.now().getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + catalogue.ca.crlNextUpdateHours * 3600_000);
  const revoked = listRevokedIssued(reg).map((r) => ({
    serial: Buffer.from(r.serial, 'hex'),
    revokedAt: new Date(Math.floor(new Date(r.revokedAt).getTime() / 1000) * 1000),
    reason: parseRevocationReason(r.reason),
  }));
  const der = ca.signCrl({ crlNumber: BigInt(number), thisUpdate, nextUpdate, revoked });
  insertCrl(reg, number, thisUpdate, nextUpdate, der);
  reg.audit.append(thisUpdate, actor, 'crl.generate', `CRL-${number}`, { entries: revoked.length, nextUpdate: nextUpdate.toISOString() });
  return { number, der };
}

/** Writes the newest CRL to the home (atomic rename), after its transaction committed. */
export function writeCrlFile(reg: Registry): string | undefined {
  const crl = latestCrl(reg);
  if (!crl) return undefined;
  const tmp = `${reg.paths.crl}.tmp`;
  writeFileSync(tmp, crlToPem(crl.der), { mode: 0o644 });
  renameSync(tmp, reg.paths.crl);
  return reg.paths.crl;
}
