// openssl speed ecdsap256 from the same run, for scale: sign and verify operations per second.
import { spawnSync } from 'node:child_process';

export function opensslEcdsaP256(seconds = 2): { sign: number; verify: number } | { error: string } {
  const r = spawnSync('openssl', ['speed', '-seconds', String(seconds), 'ecdsap256'], { encoding: 'utf8' });
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
