// Whether the published CRL file (ca/current.crl.pem) is the one the publisher wrote for the
// registry's newest CRL. Small on purpose: every command checks it, and only a command that finds
// the file behind loads the publisher (src/ca/crl-publisher.ts) to rewrite it.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { latestCrlNumber } from '../registry/certificates.js';
import type { Registry } from '../registry/registry.js';

/** What the publisher last wrote: the CRL Number and the file's identity, to notice a file behind it. */
export interface PublishedState {
  number: number;
  size: number;
  mtimeMs: number;
  ino: number;
}

export function statePath(reg: Registry): string {
  return join(reg.paths.caDir, '.current.crl.state');
}

function readState(reg: Registry): PublishedState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(reg), 'utf8')) as PublishedState;
  } catch {
    return undefined;
  }
}

/** True when ca/current.crl.pem is the file the publisher wrote for the registry's newest CRL. */
export function isCurrent(reg: Registry, number: number): boolean {
  const st = readState(reg);
  if (!st || st.number !== number) return false;
  try {
    const f = statSync(reg.paths.crl);
    return f.size === st.size && f.mtimeMs === st.mtimeMs && f.ino === st.ino;
  } catch {
    return false;
  }
}

/** True when the registry holds a CRL that the published file does not show (missing, older, replaced or torn). */
export function crlFileBehind(reg: Registry): boolean {
  if (reg.inTransaction) return false;
  const newest = latestCrlNumber(reg);
  return newest !== undefined && !isCurrent(reg, newest);
}
