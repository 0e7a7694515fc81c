import type { Command } from 'commander';
import { parseEui64 } from '../../domain/eui.js';
import { holdsSupplierRole, parseUserRole, USER_ROLES, userRoleName, type UserRoleCode } from '../../domain/roles.js';
import { listUserIds } from '../../registry/parties.js';
import type { CliContext } from '../context.js';
import { choiceOrPrompt, valueOrPrompt } from '../prompt.js';
import type { Register } from './index.js';
import { examples, table } from '../format.js';

export const registerParty: Register = (program, wrap) => {
  const party = program.command('party').description('Parties and their User IDs')
    .addHelpText('after', examples(['smki party list', 'smki party add --help']));
  party
    .command('add')
    .description('register a User ID (EUI-64) in a User Role for a Party')
    .option('--name <name>', 'the Party (organisation) name')
    .option('--role <role>', 'User Role code or name: IS, ES, GS, ED, GT, RSA, OU, SC (SoLRContingency)')
    .option('--eui <eui>', 'the User ID, an EUI-64 (90-B3-D5-1F-30-01-00-00 or 90B3D51F30010000)')
    .option('--acting-for <eui>', 'for SoLRContingency: the failed Supplier User ID the SRP acts for')
    .addHelpText('after', examples([
      'smki --as ra1.key party add --name "Failed Energy" --role IS --eui 90B3D51F30010000 --json',
      'smki --as ra1.key party add --name "Failed Energy" --role GS --eui 90B3D51F30010000   # the same User ID as Gas Supplier too (dual fuel)',
      'smki --as ra1.key party add --name "Shared Resources Ltd" --role SC --eui 90-B3-D5-1F-30-0C-00-01 --acting-for 90B3D51F30010000',
    ]))
    .action(wrap(async (ctx: CliContext, opts: { name?: string; role?: string; eui?: string; actingFor?: string }) => {
      const reg = ctx.open();
      // The RA's rules and the operator's credentials load here, not for `party list` (start-up time).
      const { addUserId } = await import('../../ra/parties.js');
      const name = await valueOrPrompt(ctx, opts.name, '--name', 'Party name', (t) => t.trim() || (() => { throw new Error('a name is required'); })());
      const role = await choiceOrPrompt<UserRoleCode>(ctx, opts.role, '--role', 'User Role',
        [...USER_ROLES].sort((a, b) => Number(b.code === 'SC') - Number(a.code === 'SC')).map((r) => ({ value: r.code, name: `${r.code}  ${r.name}` })), (t) => parseUserRole(t));
      const eui = await valueOrPrompt(ctx, opts.eui, '--eui', 'User ID (EUI-64)', (t) => parseEui64(t, '--eui'));
      // On a terminal: the registered Suppliers' User IDs to choose from (the one acted for must be registered).
      const actingFor = role === 'SC'
        ? await choiceOrPrompt(ctx, opts.actingFor, '--acting-for', 'Supplier User ID this SRP acts for',
          () => listUserIds(reg).filter((u) => holdsSupplierRole(u.roles)).map((u) => ({ value: u.eui, name: `${u.eui}  ${u.roles.map(userRoleName).join(' + ')}  ${u.partyName}` })),
          (t) => parseEui64(t, '--acting-for'), 'no Supplier User ID is registered yet: register the failed Supplier first')
        : opts.actingFor === undefined ? undefined : parseEui64(opts.actingFor, '--acting-for');
      const u = addUserId(reg, ctx.catalogue(), { partyName: name, role, eui, actingFor, operator: await ctx.operatorKey() });
      const what = u.created ? 'registered' : u.roleAdded ? 'role added' : 'already registered';
      ctx.emit(
        `${what}: ${u.eui} ${u.roles.map(userRoleName).join(' + ')} for ${u.partyName}${u.actingFor ? ` acting for ${u.actingFor}` : ''}`,
        { id: u.eui, eui: u.eui, party: u.partyName, role, roleName: userRoleName(role), roles: u.roles, actingFor: u.actingFor, created: u.created, roleAdded: u.roleAdded },
      );
    }));
  party
    .command('list')
    .description('list Parties and their User IDs')
    .addHelpText('after', examples(['smki party list', 'smki party list --json']))
    .action(wrap((ctx: CliContext) => {
      const rows = listUserIds(ctx.open());
      ctx.emit(
        table(['User ID', 'Roles', 'Party', 'Acting for'], rows.map((u) => [u.eui, u.roles.join(' '), u.partyName, u.actingFor ?? ''])),
        rows.map((u) => ({ eui: u.eui, party: u.partyName, role: u.role, roles: u.roles, actingFor: u.actingFor, createdAt: u.createdAt })),
      );
    }));
};
