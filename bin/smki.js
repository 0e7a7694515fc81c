#!/usr/bin/env node
// The smki command: the built CLI in dist/ (npm ci builds it through the prepare script).
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv);
