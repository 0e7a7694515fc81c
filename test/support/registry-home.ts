// A temporary home with an audit key and no registry yet, for tests that make a Registry themselves.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { homePaths, type HomePaths } from '../../src/registry/home.js';

export interface RegistryHome {
  paths: HomePaths;
  key: Buffer;
  cleanup(): void;
}

export function registryHome(prefix: string): RegistryHome {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const paths = homePaths(join(dir, 'home'));
  mkdirSync(paths.keysDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(paths.auditKey, key.toString('hex'), { mode: 0o600 });
  return { paths, key, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
