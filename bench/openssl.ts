// openssl speed ecdsap256 from the same run, for scale: sign and verify operations per wall-clock second.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign, verify } from 'node:crypto';

export function opensslEcdsaP256(seconds = 2): { sign: number; verify: number } | { error: string } {
  // -elapsed: operations per wall-clock second, as every figure of ours is (by default openssl divides
  // by its CPU user time, which a loaded machine does not slow down).
  const r = spawnSync('openssl', ['speed', '-elapsed', '-seconds', String(seconds), 'ecdsap256'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { error: r.error ? r.error.message : r.stderr.trim().split('\n')[0] ?? 'failed' };
  // Last table: " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  13000.0"
  const line = r.stdout.split('\n').find((l) => /ecdsa \(nistp256\)/.test(l) && /\d+\.\d+\s+\d+\.\d+\s*$/.test(l));
  if (!line) return { error: 'could not read openssl speed output' };
  const nums = line.trim().split(/\s+/).slice(-2).map(Number);
  return { sign: nums[0]!, verify: nums[1]! };
}

export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** The same operations through node:crypto in this process, with the key objects made once (as the Signer and the gate hold them). */
export function nodeEcdsaP256(seconds = 2): { sign: number; verify: number } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.alloc(32, 1);
  const rate = (op: () => void): number => {
    let n = 0;
    const t0 = process.hrtime.bigint();
    const until = t0 + BigInt(Math.round(seconds * 1e9));
    let t = t0;
    while (t < until) {
      for (let i = 0; i < 100; i++) op();
      n += 100;
      t = process.hrtime.bigint();
    }
    return n / (Number(t - t0) / 1e9);
  };
  const sig = sign('sha256', data, privateKey);
  return {
    sign: rate(() => sign('sha256', data, privateKey)),
    verify: rate(() => {
      if (!verify('sha256', data, publicKey, sig)) throw new Error('verify failed');
    }),
  };
}
