// The shipped catalogue against DCC's own public texts: the DUIS 5.4 schema's list of Service
// Reference Variants (with the CommandVariants its comments give) and DCC's DUIS Service Request
// matrix (name, criticality, eligible User Roles). Copies of both are in fixtures/public/duis.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { loadCatalogue } from '../../src/config/catalogue.js';
import { USER_ROLES } from '../../src/domain/roles.js';
import { childElements, parseXml } from '../../src/gate/xml/parse.js';

const XSD_FILE = new URL('../../fixtures/public/duis/DUIS-Schema-V5.4.xsd', import.meta.url);
const MATRIX_FILE = new URL('../../fixtures/public/duis/duis-request-matrix.json', import.meta.url);
const XS = 'http://www.w3.org/2001/XMLSchema';

interface MatrixRow {
  'Service Request Name': string;
  'Service Reference': string;
  'Service Reference Variant': string;
  Critical: 'Yes' | 'No';
  'Eligible User Roles': string[];
}

/** The enumeration values of the schema's simpleType ServiceReferenceVariant, in order. */
function schemaVariants(xsd: Buffer): string[] {
  const doc = parseXml(xsd, { allowComments: true, maxBytes: 4 * 1024 * 1024 });
  const type = childElements(doc.root).find((e) => e.namespaceURI === XS && e.localName === 'simpleType' && e.attributes.some((a) => a.localName === 'name' && a.value === 'ServiceReferenceVariant'));
  assert.ok(type, 'simpleType ServiceReferenceVariant');
  const restriction = childElements(type).find((e) => e.localName === 'restriction')!;
  return childElements(restriction).filter((e) => e.localName === 'enumeration').map((e) => e.attributes.find((a) => a.localName === 'value')!.value);
}

/** The schema writes each variant's CommandVariants in a comment after its enumeration: `<!-- CV = 4, 5, 6, 7 -->`. */
function schemaCommandVariants(xsd: string): Map<string, number[]> {
  const start = xsd.indexOf('<xs:simpleType name="ServiceReferenceVariant">');
  const body = xsd.slice(start, xsd.indexOf('</xs:simpleType>', start));
  const out = new Map<string, number[]>();
  for (const m of body.matchAll(/<xs:enumeration value="([^"]+)"\/>\s*<!--\s*CV\s*=\s*([0-9 ,]+)-->/g)) {
    out.set(m[1]!, m[2]!.split(',').map((c) => Number(c.trim())));
  }
  return out;
}

describe('config: the DUIS 5.4 catalogue', () => {
  const xsd = readFileSync(XSD_FILE);
  const matrix = JSON.parse(readFileSync(MATRIX_FILE, 'utf8')) as MatrixRow[];
  const catalogue = loadCatalogue();

  it("service-requests.json holds exactly the schema's Service Reference Variants, in its order (1.1.1 and 1.1.2, no 1.1)", () => {
    const variants = schemaVariants(xsd);
    assert.equal(variants.length, 129);
    assert.deepEqual([...catalogue.serviceRequests.keys()], variants);
    assert.ok(!catalogue.serviceRequests.has('1.1'));
    assert.ok(catalogue.serviceRequests.has('1.1.1') && catalogue.serviceRequests.has('1.1.2'));
  });

  it("each variant's CommandVariants are the schema's, its name, Service Reference and criticality the matrix's", () => {
    const cvs = schemaCommandVariants(xsd.toString('utf8'));
    assert.equal(cvs.size, 129, 'every enumeration has its CV comment');
    const rows = new Map(matrix.map((r) => [r['Service Reference Variant'], r]));
    for (const [srv, entry] of catalogue.serviceRequests) {
      assert.deepEqual(entry.commandVariants, cvs.get(srv), `${srv} CommandVariants`);
      const row = rows.get(srv);
      assert.ok(row, `${srv} is in the matrix`);
      assert.equal(entry.name, row['Service Request Name'], `${srv} name`);
      assert.equal(entry.serviceReference, row['Service Reference'], `${srv} Service Reference`);
      assert.equal(entry.critical, row.Critical === 'Yes', `${srv} critical`);
    }
    const updatePaymentMode = catalogue.serviceRequests.get('1.6')!;
    assert.deepEqual([updatePaymentMode.critical, updatePaymentMode.commandVariants], [true, [4, 5, 6, 7]]);
  });

  it("roles.json gives each DUIS User Role the matrix's eligibility; SoLRContingency (not in DUIS) 1.6 alone", () => {
    const duisRoles = USER_ROLES.map((r) => r.code).filter((c) => c !== 'SC');
    assert.deepEqual([...new Set(matrix.flatMap((r) => r['Eligible User Roles']))].sort(), [...duisRoles].sort());
    for (const code of duisRoles) {
      const expected = matrix.filter((r) => r['Eligible User Roles'].includes(code)).map((r) => r['Service Reference Variant']);
      assert.deepEqual([...catalogue.roles.get(code)!.serviceRequests].sort(), expected.sort(), `${code} eligibility`);
    }
    assert.deepEqual(catalogue.roles.get('SC')!.serviceRequests, ['1.6']);
    assert.ok(catalogue.roles.get('IS')!.serviceRequests.includes('1.6') && catalogue.roles.get('GS')!.serviceRequests.includes('1.6'));
    assert.ok(!catalogue.roles.get('ED')!.serviceRequests.includes('1.6'));
  });
});
