// Writes man/smki.1 from the help texts (npm run man). test/cli/man.test.ts checks it is current.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { buildProgram, version } from '../src/cli/main.js';
import { manPage } from '../src/cli/man.js';

const sink = new Writable({ write(_c, _e, cb) { cb(); } });
const { program } = await buildProgram({ stdout: sink, stderr: sink, stdin: new PassThrough(), interactive: false, progress: false });
const file = join(import.meta.dirname, '..', 'man', 'smki.1');
writeFileSync(file, manPage(program, version()));
console.log(`wrote ${file}`);
