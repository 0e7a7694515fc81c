import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { copyHome } from '../support/home-copy.js';
import { join } from 'node:path';
import { loadCatalogue } from '../../src/config/catalogue.js';
import { parseDuisRequest } from '../../src/gate/duis.js';
import { ServiceRequestGate, type GateOutcome } from '../../src/gate/gate.js';
import { InputError } from '../../src/domain/errors.js';
import { WorkerPool } from '../../src/util/worker-pool.js';
import { checkWithWorkers, inputFromAnswer, VerifyPool, type VerifyAnswer } from '../../src/gate/verify-pool.js';
import { Registry } from '../../src/registry/registry.js';
import { ESME, GSME, setupGateScenario, type GateScenario } from '../support/gate-scenario.js';

const CV4 = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML';
const SPC = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX';
const summary = (o: GateOutcome) => ({
  file: o.file,
  decision: o.decision,
  reasons: o.reasons.map((r) => r.code),
  warnings: o.warnings.map((r) => r.code),
  requestId: o.requestId,
  error: o.error,
});

describe('gate: verification workers decide nothing (src/gate/verify-pool.ts)', function () {
  let g: GateScenario;
  before(async () => { g = await setupGateScenario({ warning: 5, quarantine: 8 }); });
  after(() => g.cleanup());

  /** Every Credit request twice in a row (one copy per worker), with Signed Pre-Commands, a forgery and garbage between. */
  function documents(): { file: string; bytes: Buffer }[] {
    const docs: { file: string; bytes: Buffer }[] = [];
    const add = (file: string, text: string) => docs.push({ file, bytes: Buffer.from(text) });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    for (let i = 1; i <= 12; i++) {
      add(`cv4-${i}`, g.request(CV4, BigInt(100 + i), ESME));
      // The same RequestID in another document (signed again): a replay. (The very same bytes again
      // would be reported as already decided, issue 13.)
      add(`cv4-${i}-again`, g.request(CV4, BigInt(100 + i), ESME));
      if (i <= 2) add(`spc-${i}`, g.signedPreCommand(SPC, BigInt(100 + i), ESME));
      if (i === 3) add('forged', g.request(CV4, 500n, GSME, { ...g.srp, key: other }));
      if (i === 4) add('garbage', '<not a request');
    }
    return docs;
  }

  it('two workers reading in parallel decide exactly as one thread: one acceptance per RequestID, none past the ADT quarantine threshold', async () => {
    const docs = documents();
    // The same home twice: one checked in this thread alone, the other with two workers that read alternate documents.
    const copy = copyHome(g.home, join(g.dir, 'home-copy'));
    const catalogue = loadCatalogue();
    const alone = Registry.open(copy);
    const oneThread = docs.map((d) => new ServiceRequestGate(alone, catalogue).check(d.file, d.bytes, 'test'));
    alone.close();

    const reg = Registry.open(g.home);
    const pool = new VerifyPool(g.home, 2, 1);
    let parallel: GateOutcome[];
    try {
      // Every other document as a file that the worker reads itself.
      const items = docs.map((d, i) => (i % 2 ? { file: d.file, path: g.write(d.file, d.bytes.toString()) } : d));
      parallel = await checkWithWorkers(new ServiceRequestGate(reg, catalogue), pool, items, 'test', { batch: 3 });
    } finally {
      await pool.close();
    }
    try {
      assert.deepEqual(parallel.map(summary), oneThread.map(summary));
      const accepted = parallel.filter((o) => o.decision === 'accept' && o.file.startsWith('cv4-'));
      assert.equal(new Set(accepted.map((o) => o.requestId)).size, accepted.length, 'a RequestID accepted twice');
      assert.equal(accepted.length, 8, 'the ADT quarantine threshold is 8');
      assert.ok(parallel.filter((o) => o.file.endsWith('-again')).every((o) => o.decision !== 'accept'), 'a replay accepted');
      assert.equal(parallel.find((o) => o.file === 'cv4-9')!.decision, 'quarantine');
      assert.deepEqual(parallel.filter((o) => o.file.startsWith('spc-')).map((o) => o.decision), ['accept', 'accept']);
      assert.equal(parallel.find((o) => o.file === 'forged')!.decision, 'refuse');
      assert.equal(parallel.find((o) => o.file === 'garbage')!.decision, 'malformed');
      assert.deepEqual(reg.verify().problems, []);
    } finally {
      reg.close();
    }
  });

  it('a signature the worker did not check with the certificate the gate found is checked by the gate itself', () => {
    const bytes = Buffer.from(g.request(CV4, 900n, ESME, { ...g.srp, key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }));
    const parsed = parseDuisRequest(bytes);
    // A worker answer that claims a good signature for some other certificate.
    const answer: Exclude<VerifyAnswer, { malformed: string }> = {
      request: parsed.request,
      signer: { serialHex: parsed.signature.serialHex, issuerName: parsed.signature.issuerName },
      docSha256: '00',
      xml: [['not the certificate the gate finds', { ok: true }]],
      gbcs: [],
    };
    const reg = Registry.open(g.home);
    try {
      const catalogue = loadCatalogue();
      const o = reg.tx(() => new ServiceRequestGate(reg, catalogue).checkInput('claimed', inputFromAnswer(answer, bytes), 'test'));
      assert.equal(o.decision, 'refuse');
      assert.ok(o.reasons.some((r) => /SIGNATURE/.test(r.code)), JSON.stringify(o.reasons));
    } finally {
      reg.close();
    }
  });

  it("'-' (stdin) is never read as a file by a worker: the pool refuses it before sending, a worker answers it as malformed", async () => {
    // A file named '-' in the current folder, holding a request that would be accepted.
    const cwd = process.cwd();
    process.chdir(g.dir);
    writeFileSync(join(g.dir, '-'), g.request(CV4, 950n, ESME));
    const reg = Registry.open(g.home);
    const pool = new VerifyPool(g.home, 1);
    try {
      assert.throws(() => pool.answers([{ path: '-' }]), (e: unknown) => e instanceof InputError && /stdin/.test(e.message));
      await assert.rejects(checkWithWorkers(new ServiceRequestGate(reg, loadCatalogue()), pool, [{ file: '(stdin)', path: '-' }], 'test'), InputError);
      // Past the pool's guard (its base class), the worker itself does not open '-'.
      const answers: VerifyAnswer[] = [];
      for await (const chunk of WorkerPool.prototype.answers.call(pool, [{ path: '-' }, { path: join(g.dir, '-') }]) as AsyncGenerator<VerifyAnswer[]>) answers.push(...chunk);
      const first = answers[0]!;
      assert.ok('malformed' in first, "the worker read a file named '-'");
      assert.match(first.malformed, /stdin/);
      assert.ok('request' in answers[1]!, 'the same file by its full path is read');
    } finally {
      await pool.close();
      reg.close();
      process.chdir(cwd);
    }
  });
});
