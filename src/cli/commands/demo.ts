import { runDemo } from '../../demo/demo.js';
import type { CliContext } from '../context.js';
import { examples } from '../format.js';
import { main } from '../main.js';
import type { Register } from './index.js';

export const registerDemo: Register = (program, wrap) => {
  program
    .command('demo')
    .description('the whole SoLR scenario end to end in a fresh temporary home (or --home), narrated')
    .addHelpText('after', examples(['smki demo', 'smki demo --json > demo.json', 'smki --home ./demo-home demo']))
    .action(wrap(async (ctx: CliContext) => {
      const r = await runDemo({ home: ctx.globals.home, io: ctx.io, json: ctx.json, main: (argv, io) => main(argv, io, ctx.clock) });
      if (ctx.json) ctx.emit('', r);
      return r.ok ? 0 : 1;
    }));
};
