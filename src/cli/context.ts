// What every command gets: the resolved home, output mode, terminal state and a registry opener.
import { loadCatalogue, type Catalogue } from '../config/catalogue.js';
import { InputError } from '../domain/errors.js';
import { resolveHome } from '../registry/home.js';
import { Registry, type Clock } from '../registry/registry.js';
import { crlFileBehind } from '../ca/crl-file-state.js';
import { runCloseHooks } from '../util/close-hooks.js';
import { jsonDocument, jsonListWriter } from './json.js';
import type { Signer } from '../ca/signer.js';
import { readableFile, valueOrPrompt } from './prompt.js';
import { tableLines } from './format.js';

export interface GlobalOptions {
  home?: string;
  /** The registry on PostgreSQL (or SMKI_DATABASE_URL); src/registry/database.ts. */
  database?: string;
  json?: boolean;
  /** The acting RA operator's key (a file or a pkcs11: URI); or SMKI_AS. */
  as?: string;
}

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  /** Prompts appear only when both stdin and stdout are terminals. */
  interactive: boolean;
  /** Progress bars only on a terminal stderr. */
  progress: boolean;
}

export class CliContext {
  private registry: Registry | undefined;
  constructor(
    readonly io: Io,
    readonly globals: GlobalOptions,
    readonly clock: Clock = () => new Date(),
  ) {}

  get home(): string {
    return resolveHome(this.globals.home);
  }

  get json(): boolean {
    return this.globals.json === true;
  }

  get interactive(): boolean {
    return this.io.interactive && !this.json;
  }

  catalogue(): Catalogue {
    return loadCatalogue();
  }

  open(): Registry {
    if (!this.registry) {
      this.registry = Registry.open(this.home, { clock: this.clock, database: this.globals.database });
    }
    return this.registry;
  }

  /**
   * After the action: any command that opened the registry notices a published CRL behind it and
   * repairs it (the publisher loads only then: start-up time).
   */
  async settle(): Promise<void> {
    if (!this.registry || !crlFileBehind(this.registry)) return;
    const { writeCrlFile } = await import('../ca/crl-publisher.js');
    writeCrlFile(this.registry);
  }

  /** Warnings about work that committed (the change stands) but whose follow-up failed. */
  warnings(): string[] {
    return this.registry?.warnings ?? [];
  }

  close(): void {
    runCloseHooks();
    this.registry?.close();
    this.registry = undefined;
  }

  /** One JSON document on stdout with --json; otherwise the human text. */
  emit(human: string | string[], json: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(jsonDocument(json), null, 2)}\n`);
    else this.io.stdout.write(`${Array.isArray(human) ? human.join('\n') : human}\n`);
  }

  private operator: Signer | undefined;

  /**
   * The acting RA operator's key: --as, else SMKI_AS, else (on a terminal) a prompt for the file. Its
   * passphrase from SMKI_AS_PASSPHRASE_FILE, else a hidden prompt on a terminal; never otherwise.
   */
  async operatorKey(): Promise<Signer> {
    if (this.operator) return this.operator;
    const ref = this.globals.as ?? process.env.SMKI_AS;
    const file = ref !== undefined && ref !== ''
      ? ref
      : await valueOrPrompt(this, undefined, "--as (the acting RA operator's key file, or SMKI_AS)", 'Your RA operator key file (--as)', (t) => t.trim(), { check: readableFile('--as') });
    const { loadPersonKey } = await import('./passphrase.js');
    this.operator = await loadPersonKey(this, file, '--as', 'SMKI_AS_PASSPHRASE_FILE');
    return this.operator;
  }

  /**
   * A list of any length, written as it is read (`rows` is typically a statement's iterator): with
   * --json one JSON array, the same text as `emit` would write for the whole array; otherwise a table
   * whose widths come from its first rows. Memory stays flat however many rows there are; `footer`
   * gets the number of rows written and returns lines for the text form.
   */
  emitRows<R>(rows: Iterable<R>, view: { headers: string[]; cells: (r: R) => string[]; json: (r: R) => unknown; footer?: (count: number) => string[] }): void {
    let buffered = '';
    const put = (text: string): void => {
      buffered += text;
      if (buffered.length >= 1 << 16) {
        this.io.stdout.write(buffered);
        buffered = '';
      }
    };
    let count = 0;
    if (this.json) {
      // One document {schemaVersion, items, total} however long the list (src/cli/json.ts).
      const list = jsonListWriter({ write: (text: string) => { put(text); return true; } } as NodeJS.WritableStream);
      for (const r of rows) {
        list.item(view.json(r));
        count++;
      }
      list.end();
    } else {
      const counted = (function* () {
        for (const r of rows) {
          count++;
          yield view.cells(r);
        }
      })();
      for (const line of tableLines(view.headers, counted, 1000)) put(`${line}\n`);
      for (const line of view.footer?.(count) ?? []) put(`${line}\n`);
    }
    if (buffered) this.io.stdout.write(buffered);
  }

  /**
   * The acting SRO's or ARO's key: --officer-key (a file or a pkcs11: URI), else (on a terminal) a
   * prompt for it. Its passphrase from SMKI_OFFICER_PASSPHRASE_FILE, else a hidden prompt on a terminal.
   */
  async officerKey(flag: string | undefined, who = 'your officer'): Promise<Signer> {
    const file = flag !== undefined && flag !== ''
      ? flag
      : await valueOrPrompt(this, undefined, `--officer-key (${who} key file)`, `${who[0]!.toUpperCase()}${who.slice(1)} key file (--officer-key)`, (t) => t.trim(), { check: readableFile('--officer-key') });
    const { loadPersonKey } = await import('./passphrase.js');
    return loadPersonKey(this, file, '--officer-key', 'SMKI_OFFICER_PASSPHRASE_FILE');
  }

  /** Narration and notes go to stderr so stdout stays clean for PEM and JSON. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }
}
