// `smki registry export`: an RA operator copies the registry to another back-end. The source must
// verify first (a tampered registry is not spread to a second place); the operator's signed statement
// and the export's audit record are committed before the copy is read, so the copy carries the record
// of its own making and verifies under the home's checkpoint. The copy is read under the write lock.
import { IntegrityError } from '../domain/errors.js';
import { copyRegistry, parseExportTarget, requireEmptyTarget, type ExportResult } from '../registry/export.js';
import type { Registry } from '../registry/registry.js';
import { operatorFor, type OperatorKey } from './credentials.js';

export function exportRegistry(reg: Registry, to: string, operator: OperatorKey): ExportResult {
  const target = parseExportTarget(to);
  requireEmptyTarget(target);
  const { problems } = reg.verify();
  if (problems.length) {
    const p = problems[0]!;
    throw new IntegrityError(`not exporting a registry that does not verify: ${p.table ? `table ${p.table}: ` : `record ${p.seq ?? '-'}: `}${p.problem}; run 'smki audit verify'`, { ok: false, problems });
  }
  reg.tx(() => {
    const details = { to: target.kind, location: target.location };
    const acting = operatorFor(reg, operator, 'registry.export', target.location, details);
    reg.audit.append(reg.now(), acting, 'registry.export', target.location, details);
  });
  return reg.tx(() => copyRegistry(reg, target));
}
