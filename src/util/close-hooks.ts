// What a command must release when it ends (token sessions, ...), registered by the module that
// opened it: the CLI context runs them without loading modules the command never used.
const hooks = new Set<() => void>();

export function onClose(hook: () => void): void {
  hooks.add(hook);
}

/** Runs every hook; one that fails does not stop the others. */
export function runCloseHooks(): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // best effort: the command's outcome stands
    }
  }
}
