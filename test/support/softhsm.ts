// A SoftHSM2 token in a temporary folder (its own SOFTHSM2_CONF), for the PKCS#11 tests. Skipped
// where softhsm2 is not installed (.ci/run installs it).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closePkcs11 } from '../../src/ca/pkcs11.js';

export const SOFTHSM_MODULE = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so']
  .find((p) => existsSync(p));

export function softhsmAvailable(): boolean {
  return SOFTHSM_MODULE !== undefined && spawnSync('softhsm2-util', ['--version']).status === 0;
}

export interface SoftToken {
  dir: string;
  module: string;
  label: string;
  pinFile: string;
  pin: string;
  cleanup: () => void;
}

/**
 * Initialises a fresh token; sets SOFTHSM2_CONF for this process until cleanup. `disabled`: mechanisms
 * the token does not offer (softhsm2.conf slots.mechanisms; SoftHSM 2.6 drops the first name of a
 * '-' list, so each is written twice).
 */
export function softToken(label = 'smki-test', disabled: readonly string[] = []): SoftToken {
  const dir = mkdtempSync(join(tmpdir(), 'smki-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  const mechanisms = disabled.length ? `slots.mechanisms = -${[disabled[0]!, ...disabled].join(',')}\n` : '';
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n${mechanisms}`);
  const saved = process.env.SOFTHSM2_CONF;
  closePkcs11();
  process.env.SOFTHSM2_CONF = conf;
  const pin = '246810';
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '13579', '--pin', pin], { env: process.env, stdio: 'pipe' });
  const pinFile = join(dir, 'pin.txt');
  writeFileSync(pinFile, `${pin}\n`, { mode: 0o600 });
  return {
    dir, module: SOFTHSM_MODULE!, label, pinFile, pin,
    cleanup: () => {
      closePkcs11();
      if (saved === undefined) delete process.env.SOFTHSM2_CONF;
      else process.env.SOFTHSM2_CONF = saved;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
