import { readPublicKeyFile, shortKeyId } from '../../ca/person-keys.js';
import { InputError } from '../../domain/errors.js';
import { addOperator, needsActingOperator, parseOperatorName, revokeOperator } from '../../ra/operators.js';
import { listOperators, type OperatorRecord } from '../../registry/operators.js';
import type { CliContext } from '../context.js';
import { examples, table } from '../format.js';
import { confirmStep, failsWith, valueOrPrompt } from '../prompt.js';
import type { Register } from './index.js';

function operatorJson(o: OperatorRecord) {
  return { id: o.name, name: o.name, keyId: o.keyId, status: o.status, addedAt: o.addedAt, addedBy: o.addedBy, revokedAt: o.revokedAt, revokedBy: o.revokedBy };
}

export const registerOperator: Register = (program, wrap) => {
  const operator = program.command('operator').description('RA operators: the people who change the registry, each with a registered key (--as)')
    .addHelpText('after', examples(['smki operator list', 'smki operator add --help']));
  operator
    .command('add')
    .description("register an RA operator with their public key (signed by the acting operator's --as key)")
    .option('--name <name>', "the operator's name, shown in the audit log")
    .option('--public-key <file>', "the operator's P-256 public key (PEM), as 'smki key new' prints it")
    .addHelpText('after', examples([
      'smki --as ra1.key operator add --name ra2 --public-key ra2.pub',
      'SMKI_AS=ra1.key smki operator add --name ra3 --public-key ra3.pub --json',
      'smki --as ra1.key operator add --name ra3-alias --public-key ra3.pub   # the same key under a second name: one operator',
      'smki operator add --name ra4 --public-key ra3.pub   # exit 4 (no --as)',
    ]))
    .action(wrap(async (ctx: CliContext, o: { name?: string; publicKey?: string }) => {
      const reg = ctx.open();
      const name = await valueOrPrompt(ctx, o.name, '--name', 'Operator name', (t) => parseOperatorName(t));
      const file = await valueOrPrompt(ctx, o.publicKey, '--public-key', 'Public key file (PEM)', (t) => t.trim(), { check: failsWith((f: string) => readPublicKeyFile(f)) });
      const publicKey = readPublicKeyFile(file);
      const as = needsActingOperator(reg) ? await ctx.operatorKey() : undefined;
      const r = addOperator(reg, { name, publicKey }, as);
      ctx.emit(`registered operator ${r.name} (key ${shortKeyId(r.keyId)}), by ${r.addedBy}`, operatorJson(r));
    }));
  operator
    .command('list')
    .description('list RA operators, their key IDs and status')
    .addHelpText('after', examples(['smki operator list', 'smki operator list --json']))
    .action(wrap((ctx: CliContext) => {
      const rows = listOperators(ctx.open());
      ctx.emit(
        table(['Name', 'Key', 'Status', 'Added', 'By', 'Revoked'], rows.map((o) => [o.name, shortKeyId(o.keyId), o.status, o.addedAt, o.addedBy, o.revokedAt ? `${o.revokedAt} by ${o.revokedBy}` : ''])),
        rows.map(operatorJson),
      );
    }));
  operator
    .command('revoke [name]')
    .description("revoke an RA operator's key at once (every name registered with it); the last active operator stays")
    .option('--note <text>', 'why (kept in the audit record)')
    .option('--yes', 'do not ask for confirmation on a terminal')
    .addHelpText('after', examples([
      'smki --as ra1.key operator revoke ra3 --note "left the RA team" --yes   # ra3-alias too: the same key',
      'smki --home ./trial --as trial-ra1.key operator revoke trial-ra1 --yes   # exit 3 OPERATOR_LAST_ACTIVE',
    ]))
    .action(wrap(async (ctx: CliContext, nameArg: string | undefined, o: { note?: string; yes?: boolean }) => {
      const reg = ctx.open();
      const name = await valueOrPrompt(ctx, nameArg, 'operator name', 'Operator to revoke', (t) => t.trim());
      if (!name) throw new InputError('missing operator name');
      await confirmStep(ctx, o.yes, `revoke operator ${name}? Its key stops working at once`);
      const as = await ctx.operatorKey();
      const revoked = revokeOperator(reg, name, as, o.note);
      ctx.emit(`revoked: ${revoked.map((r) => r.name).join(', ')} (key ${shortKeyId(revoked[0]!.keyId)})`, { id: name, revoked: revoked.map(operatorJson) });
    }));
};
