import { commandTree, completionScript, parseShell } from '../completion.js';
import type { CliContext } from '../context.js';
import { examples } from '../format.js';
import type { Register } from './index.js';

export const registerCompletion: Register = (program, wrap) => {
  program
    .command('completion')
    .description('print a shell completion script (bash or zsh) for every smki command and option')
    .argument('<shell>', 'bash or zsh')
    .addHelpText('after', examples([
      'smki completion bash > smki.bash   # then: source smki.bash (or copy it to ~/.local/share/bash-completion/completions/smki)',
      'smki completion zsh > _smki        # then put _smki in a folder of $fpath',
    ]))
    .action(wrap(async (ctx: CliContext, shellName: string) => {
      const shell = parseShell(shellName);
      // The whole command tree: every module loaded (this command alone runs with only itself loaded).
      const { buildProgram } = await import('../main.js');
      const { program: full } = await buildProgram(ctx.io, ctx.clock, 'all');
      const script = completionScript(shell, commandTree(full));
      if (ctx.json) ctx.emit('', { shell, script });
      else ctx.io.stdout.write(script);
    }));
};
