// The ADT step of a plan: "already so" when the file's content is the Party's active ADT file (or
// its thresholds are: the library then changes nothing); otherwise submitted through the same
// library function as `smki adt submit`.
import { createHash } from 'node:crypto';
import { INPUT_LIMITS, readInputFile } from '../util/read-input.js';
import type { Catalogue } from '../config/catalogue.js';
import { listAdts, submitAdt, type SubmitAdtInput } from '../ra/adt.js';
import type { Registry } from '../registry/registry.js';

export function adtAlreadyActive(reg: Registry, partyId: number, file: string): string | undefined {
  const sha256 = createHash('sha256').update(readInputFile(file, 'adt', INPUT_LIMITS.adt)).digest('hex');
  return listAdts(reg, { partyId }).find((a) => a.status === 'active' && a.sha256 === sha256)?.id;
}

export async function submitAdtFile(
  reg: Registry,
  catalogue: Catalogue,
  input: SubmitAdtInput,
): Promise<{ status: 'done' | 'skipped'; id: string; note: string }> {
  const r = await submitAdt(reg, catalogue, input);
  const note = r.created
    ? `${r.adt.thresholds.length} threshold row(s) for ${r.adt.supplierEui}${r.supersedes ? `; supersedes ${r.supersedes}` : ''}`
    : `the same thresholds are already active (${r.adt.id})`;
  return { status: r.created ? 'done' : 'skipped', id: r.adt.id, note };
}
