// A throwaway Root OCA + Issuing OCA built with src/ca/ca-certificates.ts, and an Organisation
// Certificate signer over it, for the CA tests. Also runs openssl in a temporary folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleCertificate, buildIssuingOcaTbs, buildRootOcaTbs, caNameDer } from '../../src/ca/ca-certificates.js';
import {
  buildOrganisationTbs,
  newSerial,
  subjectKeyIdentifier,
  type OrganisationCertificateTemplate,
} from '../../src/ca/organisation-certificate.js';
import type { Eui64 } from '../../src/domain/eui.js';

export const POLICY_OID = '1.2.826.0.1.8641679.1.2.1.4';

export interface TestCa {
  root: { der: Buffer; key: KeyObject; spkiDer: Buffer; nameDer: Buffer };
  issuing: { der: Buffer; key: KeyObject; spkiDer: Buffer; nameDer: Buffer; keyId: Buffer };
}

const spkiOf = (k: KeyObject): Buffer => k.export({ format: 'der', type: 'spki' });

export function wholeSecondsNow(offsetMs = 0): Date {
  return new Date(Math.floor((Date.now() + offsetMs) / 1000) * 1000);
}

export function makeTestCa(name = 'TESTCA'): TestCa {
  const rootKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notBefore = wholeSecondsNow(-86_400_000);
  const notAfter = new Date(Date.UTC(2045, 0, 1));
  const rootSpki = spkiOf(rootKeys.publicKey);
  const rootTbs = buildRootOcaTbs({ serial: newSerial(), commonName: `${name}-ROOT`, spkiDer: rootSpki, notBefore, notAfter });
  const rootDer = assembleCertificate(rootTbs, sign('sha256', rootTbs, rootKeys.privateKey));
  const rootName = caNameDer({ commonName: `${name}-ROOT`, ou: '00' });
  const issSpki = spkiOf(issKeys.publicKey);
  const issTbs = buildIssuingOcaTbs({
    serial: newSerial(),
    commonName: name,
    spkiDer: issSpki,
    rootNameDer: rootName,
    rootSpkiDer: rootSpki,
    notBefore,
    notAfter,
    policyOid: POLICY_OID,
  });
  const issDer = assembleCertificate(issTbs, sign('sha256', issTbs, rootKeys.privateKey));
  return {
    root: { der: rootDer, key: rootKeys.privateKey, spkiDer: rootSpki, nameDer: rootName },
    issuing: {
      der: issDer,
      key: issKeys.privateKey,
      spkiDer: issSpki,
      nameDer: caNameDer({ commonName: name, ou: '07' }),
      keyId: subjectKeyIdentifier(issSpki),
    },
  };
}

export function orgTemplate(ca: TestCa, over: Partial<OrganisationCertificateTemplate> = {}): OrganisationCertificateTemplate & { privateKey: KeyObject } {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    serial: newSerial(),
    issuerNameDer: ca.issuing.nameDer,
    subject: { ou: '87', eui: '90B3D51F30010000' as Eui64 },
    spkiDer: spkiOf(keys.publicKey),
    keyUsage: 'digitalSignature',
    policyOid: POLICY_OID,
    notBefore: wholeSecondsNow(-60_000),
    notAfter: new Date(Date.UTC(2035, 0, 1)),
    authorityKeyId: ca.issuing.keyId,
    privateKey: keys.privateKey,
    ...over,
  };
}

export function issue(ca: TestCa, t: OrganisationCertificateTemplate): Buffer {
  const tbs = buildOrganisationTbs(t);
  return assembleCertificate(tbs, sign('sha256', tbs, ca.issuing.key));
}

export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
}

/** A temporary folder under os.tmpdir(), removed by the returned cleanup. */
export function tempDir(): { dir: string; write: (name: string, content: string | Buffer) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'smki-ca-test-'));
  return {
    dir,
    write: (name, content) => {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs openssl; returns status and combined output, never throws on a non-zero exit. */
export function openssl(args: string[], cwd?: string): { status: number; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8', cwd });
  return { status: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export function opensslOk(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8' });
}
