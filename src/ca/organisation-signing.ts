// The last step of issuing an Organisation Certificate, after the CA's own checks (IssuingAuthority):
// build the TBSCertificate from the template, lint those exact bytes against what the CA expects from
// its own facts, and sign them only if lint finds nothing. The same function runs in the CA's thread
// and in a CA signing worker (src/ca/sign-worker.ts); neither signs bytes it did not build and lint.
import type { LintExpectations, LintFinding } from './lint.js';
import { lintOrganisationTbs } from './lint.js';
import { assembleCertificate, buildOrganisationTbs, type OrganisationCertificateTemplate } from './organisation-certificate.js';
import { asBuffer } from '../util/worker-pool.js';

/** What the CA has decided to sign: the template, and what lint must find in its TBS (the CA's own facts). */
export interface SignOrder {
  template: OrganisationCertificateTemplate;
  expect: LintExpectations;
}

/** The signed certificate (DER), or the lint findings that stopped it (nothing signed). */
export type SignResult = { der: Buffer } | { findings: LintFinding[] };

/** Builds, lints and (only when lint finds nothing) signs one order with `sign` (ECDSA, DER signature). */
export function buildLintSign(order: SignOrder, sign: (tbs: Buffer) => Buffer): SignResult {
  const tbs = buildOrganisationTbs(order.template);
  const findings = lintOrganisationTbs(tbs, order.expect);
  if (findings.length) return { findings };
  return { der: assembleCertificate(tbs, sign(tbs)) };
}

/** An order as a structured clone delivers it (Buffers as Uint8Arrays): Buffers again. */
export function reviveOrder(o: SignOrder): SignOrder {
  const t = o.template;
  const e = o.expect;
  const buf = (u: Uint8Array | undefined) => (u === undefined ? undefined : asBuffer(u));
  return {
    template: { ...t, serial: asBuffer(t.serial), issuerNameDer: asBuffer(t.issuerNameDer), spkiDer: asBuffer(t.spkiDer), authorityKeyId: asBuffer(t.authorityKeyId) },
    expect: { ...e, ...(e.issuerNameDer ? { issuerNameDer: buf(e.issuerNameDer) } : {}), ...(e.authorityKeyId ? { authorityKeyId: buf(e.authorityKeyId) } : {}) },
  };
}

export function reviveResult(r: SignResult): SignResult {
  return 'der' in r ? { der: asBuffer(r.der) } : r;
}
