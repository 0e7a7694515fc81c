import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { smki } from '../support/cli.js';

describe('demo', () => {
  it('smki demo exits 0 and its JSON summary shows each requirement with the expected outcome', async () => {
    const r = await smki(['demo', '--json']);
    try {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.ok, true);
      const steps: { requirement: string; expected: string; outcome: string; pass: boolean; reasons: string[]; title: string }[] = r.json.steps;
      assert.ok(steps.every((s) => s.pass), JSON.stringify(steps.filter((s) => !s.pass)));
      const by = (req: string) => steps.filter((s) => s.requirement === req);
      for (const req of ['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7']) assert.ok(by(req).length > 0, `no step for ${req}`);
      assert.ok(by('R2').some((s) => s.outcome === 'ok') && by('R2').some((s) => s.reasons.includes('SOLR_CONTINGENCY_XML_SIGN_ONLY')));
      assert.ok(by('R3').some((s) => s.reasons.includes('SR_NOT_ELIGIBLE')));
      assert.ok(by('R5').filter((s) => s.outcome === 'ok').length === 2 && by('R5').some((s) => s.reasons.includes('PAYMENT_MODE_NOT_CREDIT')));
      assert.ok(by('R6').some((s) => s.reasons.includes('SOLR_SELF_APPROVAL')) && by('R6').some((s) => s.reasons.includes('SOLR_EVENT_NOT_ACTIVE')));
      assert.ok(by('R7').every((s) => s.outcome === 'ok'));
      assert.ok(r.json.seconds < 15);
    } finally {
      if (r.json?.home) rmSync(dirname(r.json.home), { recursive: true, force: true });
    }
  });
});
