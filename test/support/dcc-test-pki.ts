// Makes fixtures/dcc-test-pki: a stand-in for DCC's Organisation CA chain (the ZAZ1 Z1 Issuing OCA
// certificate is not among the public vectors, so the published Z1 certificates cannot be checked
// against it) and the failed Supplier's Digital Signing certificate re-issued under it for the ZAZ1
// test Supplier's published key (fixtures/public/smki-certs/Z1-supplier-ds.key), so that the public
// Signed Pre-Command vectors still verify. The CA keys are thrown away after signing.
// Run: npx tsx test/support/dcc-test-pki.ts
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleCertificate, buildIssuingOcaTbs, buildRootOcaTbs, caNameDer } from '../../src/ca/ca-certificates.js';
import { buildOrganisationTbs, newSerial, subjectKeyIdentifier } from '../../src/ca/organisation-certificate.js';
import { toPem } from '../../src/ca/pem.js';
import { loadCatalogue } from '../../src/config/catalogue.js';
import type { Eui64 } from '../../src/domain/eui.js';

export const DCC_TEST_PKI = join(process.cwd(), 'fixtures', 'dcc-test-pki');

function make(out: string): void {
  const policyOid = loadCatalogue().ca.policyOid;
  const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ format: 'der', type: 'spki' });
  const root = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issuing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notBefore = new Date(Date.UTC(2026, 0, 1));
  const notAfter = new Date(Date.UTC(2046, 0, 1));
  const rootName = 'DCC Test Root';
  const rootTbs = buildRootOcaTbs({ serial: newSerial(), commonName: rootName, spkiDer: spki(root.publicKey), notBefore, notAfter });
  const rootDer = assembleCertificate(rootTbs, sign('sha256', rootTbs, root.privateKey));
  const issuingTbs = buildIssuingOcaTbs({
    serial: newSerial(), commonName: 'Z1T', spkiDer: spki(issuing.publicKey),
    rootNameDer: caNameDer({ commonName: rootName, ou: '00' }), rootSpkiDer: spki(root.publicKey), notBefore, notAfter, policyOid,
  });
  const issuingDer = assembleCertificate(issuingTbs, sign('sha256', issuingTbs, root.privateKey));
  const supplierKey = createPrivateKey({ key: readFileSync(join(process.cwd(), 'fixtures/public/smki-certs/Z1-supplier-ds.key')), format: 'der', type: 'pkcs8' });
  const leafTbs = buildOrganisationTbs({
    serial: newSerial(),
    issuerNameDer: caNameDer({ commonName: 'Z1T', ou: '07' }),
    subject: { commonName: 'GITTESTSUPPLIER', ou: '02', eui: '90B3D51F30010000' as Eui64 },
    spkiDer: spki(createPublicKey(supplierKey)),
    keyUsage: 'digitalSignature',
    policyOid,
    notBefore,
    notAfter: new Date(Date.UTC(2045, 11, 31, 23, 59, 59)),
    authorityKeyId: subjectKeyIdentifier(spki(issuing.publicKey)),
  });
  const leafDer = assembleCertificate(leafTbs, sign('sha256', leafTbs, issuing.privateKey));
  writeFileSync(join(out, 'chain.pem'), toPem(issuingDer, 'CERTIFICATE') + toPem(rootDer, 'CERTIFICATE'));
  writeFileSync(join(out, 'supplier-ds.pem'), toPem(leafDer, 'CERTIFICATE'));
}

if (process.argv[1]?.endsWith('dcc-test-pki.ts')) make(DCC_TEST_PKI);
