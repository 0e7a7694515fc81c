import { strict as assert } from 'node:assert';
import { formatEuiDashed, parseEui64 } from '../../src/domain/eui.js';
import { InputError } from '../../src/domain/errors.js';
import { parseUserRole } from '../../src/domain/roles.js';

describe('domain/eui', () => {
  it('accepts dashed and plain forms in either case', () => {
    assert.equal(parseEui64('90-b3-d5-1f-30-01-00-00'), '90B3D51F30010000');
    assert.equal(parseEui64('90B3D51F30010000'), '90B3D51F30010000');
    assert.equal(formatEuiDashed(parseEui64('90b3d51f30010000')), '90-B3-D5-1F-30-01-00-00');
  });
  for (const bad of ['', '90B3D51F300100', '90-B3-D5-1F-30-01-00', '90B3D51F3001000G', '90-B3D51F30010000']) {
    it(`refuses '${bad}' with a one-line InputError naming the field`, () => {
      assert.throws(() => parseEui64(bad, '--eui'), (e: Error) => e instanceof InputError && e.message.startsWith('--eui:') && !e.message.includes('\n'));
    });
  }
  it('parses User Roles by code or name, case-insensitively', () => {
    assert.equal(parseUserRole('sc'), 'SC');
    assert.equal(parseUserRole('solrcontingency'), 'SC');
    assert.equal(parseUserRole('ImportSupplier'), 'IS');
    assert.throws(() => parseUserRole('XX'), InputError);
  });
});
