// The onboarding plan (docs/onboarding.md): one YAML or JSON file describing Parties and User IDs,
// officers, certificates, device files, ADT files and SoLR events. This module reads and validates
// it (schema, types, references, files) into numbered steps in dependency order; nothing here writes.
// Every error carries the plan line it is about: `plan.yaml line 12: officers.ari.nominatedBy: ...`.
import { statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { parseCsr } from '../ca/csr.js';
import type { Catalogue } from '../config/catalogue.js';
import { AdtFileError, parseAdtFile } from '../ra/adt.js';
import { orderedAnchorChain } from '../ca/chain.js';
import { readCaCertificate, readOrganisationCertificate } from '../ca/organisation-certificate.js';
import { allFromPem } from '../ca/pem.js';
import { InputError } from '../domain/errors.js';
import { INPUT_LIMITS, readInputFile } from '../util/read-input.js';
import { isEui64Text, parseEui64, type Eui64 } from '../domain/eui.js';
import { parseProfileName, type ProfileName } from '../domain/profiles.js';
import { parseUserRole, SOLR_CONTINGENCY, type UserRoleCode } from '../domain/roles.js';
import { parseTime } from '../domain/time.js';
import { spkiFingerprint } from '../ra/issue.js';
import { findOfficer } from '../registry/officers.js';
import { findUserId } from '../registry/parties.js';
import type { Registry } from '../registry/registry.js';
import { parsePublicKey } from '../ca/person-keys.js';

export const PLAN_VERSION = 1;

/** The sections of a plan, in the order their steps run. */
export const SECTIONS = ['parties', 'officers', 'trustAnchors', 'certificates', 'devices', 'adtFiles', 'solrEvents'] as const;
export type Section = (typeof SECTIONS)[number];

export const STEP_KINDS = [
  'party.add',
  'officer.add',
  'officer.activate',
  'ca.trust',
  'cert.register',
  'cert.issue',
  'device.import',
  'adt.submit',
  'solr.record',
  'solr.approve',
  'solr.revoke-supplier',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** A reference to an officer: one of the plan's (its ID is known once its step ran) or a registry ID. */
export type OfficerRef = { planKey: string } | { id: string };

export type StepSpec =
  | { kind: 'party.add'; partyName: string; role: UserRoleCode; eui: Eui64; actingFor?: Eui64; operator: string }
  | { kind: 'officer.add'; party: Eui64; officerKind: 'sro' | 'aro'; name: string; nominatedBy?: OfficerRef; evidence?: string; operator: string; publicKey: string; nominatorKey?: string }
  | { kind: 'officer.activate'; officer: string; operator: string }
  | { kind: 'ca.trust'; file: string; operator: string }
  | { kind: 'cert.register'; file: string; party: Eui64; serialHex: string; operator: string }
  | { kind: 'cert.issue'; csrFile: string; profile: ProfileName; party: Eui64; officer: OfficerRef; officerKey: string; spkiSha256: string; out?: string }
  | { kind: 'device.import'; file: string; operator: string }
  | { kind: 'adt.submit'; file: string; party: Eui64; officer: OfficerRef; officerKey: string }
  | { kind: 'solr.record'; failedSupplier: Eui64; srp: Eui64; instruction: string; from: Date; until: Date; operator: string }
  | { kind: 'solr.approve'; event: string; operator: string }
  | { kind: 'solr.revoke-supplier'; event: string; operator: string };

export interface PlanStep {
  /** 1-based, in run order. */
  n: number;
  /** The plan line the step comes from. */
  line: number;
  kind: StepKind;
  /** Where in the plan: `officers.ari`. */
  key: string;
  /** Steps (by n) this one needs: those it references. */
  deps: number[];
  spec: StepSpec;
}

export interface Plan {
  /** As given on the command line (used in messages). */
  file: string;
  /** Folder that relative paths in the plan are resolved against. */
  dir: string;
  format: 'yaml' | 'json';
  steps: PlanStep[];
}

export interface PlanProblem {
  line: number;
  /** Dotted path in the plan, e.g. `officers.ari.nominatedBy` ('' for the whole file). */
  path: string;
  message: string;
}

/** Validation failed: every problem found, each with its line. Exit 4; nothing was written. */
export class PlanError extends InputError {
  constructor(
    readonly file: string,
    readonly problems: PlanProblem[],
  ) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'));
    this.name = 'PlanError';
  }
}

export function formatProblem(file: string, p: PlanProblem): string {
  return `${file} line ${p.line}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

export interface LoadOptions {
  catalogue: Catalogue;
  /** The registry, for references to what is already registered (User IDs, OFC-n officers). Read only. */
  reg: Registry;
  /** For `now` in times. */
  now: Date;
}

// ---------------------------------------------------------------------------------------------
// Reading: a tiny typed view over the YAML tree that remembers lines and collects problems.
// ---------------------------------------------------------------------------------------------

class Problems {
  readonly list: PlanProblem[] = [];
  constructor(private readonly lc: LineCounter) {}

  lineOf(node: Node | null | undefined, fallback = 1): number {
    const at = node?.range?.[0];
    return at === undefined ? fallback : this.lc.linePos(at).line;
  }

  add(line: number, path: string, message: string): void {
    // A field may be read more than once; its problem is reported once.
    if (this.list.some((x) => x.line === line && x.path === path && x.message === message)) return;
    this.list.push({ line, path, message });
  }
}

interface Field {
  keyNode: Node;
  value: Node | null;
  line: number;
}

/** An object in the plan: its fields by name, with the line of each. */
class Entry {
  readonly fields = new Map<string, Field>();
  constructor(
    readonly path: string,
    readonly line: number,
    private readonly p: Problems,
    map: YAMLMap,
  ) {
    for (const pair of map.items as Pair<Node, Node | null>[]) {
      const k = pair.key;
      const line = p.lineOf(k, this.line);
      if (!isScalar(k) || typeof k.value !== 'string' || k.value === '') {
        p.add(line, path, 'field names must be plain text');
        continue;
      }
      this.fields.set(k.value, { keyNode: k, value: pair.value ?? null, line });
    }
  }

  /** Reports fields not in `allowed`. */
  only(allowed: readonly string[]): void {
    for (const [name, f] of this.fields) {
      if (!allowed.includes(name)) this.p.add(f.line, this.at(name), `unknown field (expected ${allowed.join(', ')})`);
    }
  }

  at(name: string): string {
    return this.path ? `${this.path}.${name}` : name;
  }

  lineOf(name: string): number {
    return this.fields.get(name)?.line ?? this.line;
  }

  has(name: string): boolean {
    const v = this.fields.get(name)?.value;
    return v !== undefined && v !== null && !(isScalar(v) && v.value === '');
  }

  /** A text field; undefined (with a problem when required) if missing or not text. */
  text(name: string, required: boolean): string | undefined {
    const f = this.fields.get(name);
    if (!f || f.value === null || (isScalar(f.value) && String(f.value.value).trim() === '')) {
      if (required) this.p.add(this.line, this.at(name), 'required');
      return undefined;
    }
    if (!isScalar(f.value)) {
      this.p.add(f.line, this.at(name), 'expected a single value, not a list or a map');
      return undefined;
    }
    return String(f.value.value).trim();
  }

  /** A field that is one text value or a list of them (`role: [IS, GS]`); undefined if missing or not text. */
  texts(name: string, required: boolean): string[] | undefined {
    const f = this.fields.get(name);
    if (!f || !isSeq(f.value)) {
      const one = this.text(name, required);
      return one === undefined ? undefined : [one];
    }
    const out: string[] = [];
    for (const item of f.value.items as (Node | null)[]) {
      if (!isScalar(item) || String(item.value).trim() === '') {
        this.p.add(f.line, this.at(name), 'expected a list of single values');
        return undefined;
      }
      out.push(String(item.value).trim());
    }
    if (out.length === 0 && required) this.p.add(f.line, this.at(name), 'required');
    return out.length ? out : undefined;
  }

  /** Parses a text field with a domain parser; its InputError becomes a problem on that line. */
  parsed<T>(name: string, required: boolean, parse: (text: string) => T): T | undefined {
    const t = this.text(name, required);
    if (t === undefined) return undefined;
    try {
      return parse(t);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      this.p.add(this.lineOf(name), this.at(name), stripWhat(e.message));
      return undefined;
    }
  }

  flag(name: string): boolean {
    return this.parsed(name, false, (t) => {
      const v = t.toLowerCase();
      if (v === 'true') return true;
      if (v === 'false') return false;
      throw new InputError(`'${t}' is not true or false`);
    }) ?? false;
  }
}

/** Domain parsers prefix messages with the flag they were given ("x: 'y' is not ..."); drop it. */
function stripWhat(message: string): string {
  const first = message.split('\n')[0]!;
  const i = first.indexOf(': ');
  return i > 0 && first.slice(0, i) === WHAT ? first.slice(i + 2) : first;
}
const WHAT = '\u0000';

/** The entries of a section: a map from plan-local key to an object. */
function sectionEntries(p: Problems, root: Entry, section: Section): { key: string; entry: Entry }[] {
  const f = root.fields.get(section);
  if (!f || f.value === null || (isScalar(f.value) && f.value.value === '')) return [];
  if (!isMap(f.value)) {
    p.add(f.line, section, `expected a map of plan keys to entries (e.g. '${section}: { my-key: { ... } }')`);
    return [];
  }
  const out: { key: string; entry: Entry }[] = [];
  for (const pair of f.value.items as Pair<Node, Node | null>[]) {
    const k = pair.key;
    const line = p.lineOf(k, f.line);
    if (!isScalar(k) || String(k.value).trim() === '') {
      p.add(line, section, 'plan keys must be plain text');
      continue;
    }
    const key = String(k.value).trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(key)) {
      p.add(line, `${section}.${key}`, 'a plan key is letters, digits, -, _ and . (starting with a letter or digit)');
      continue;
    }
    if (!isMap(pair.value)) {
      p.add(line, `${section}.${key}`, 'expected a map of fields');
      continue;
    }
    out.push({ key, entry: new Entry(`${section}.${key}`, line, p, pair.value) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/** Reads, parses and validates a plan file; throws PlanError listing every problem. */
export async function loadPlan(file: string, opts: LoadOptions): Promise<Plan> {
  let text: string;
  try {
    const buf = readInputFile(file, '--file', INPUT_LIMITS.plan);
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch (e) {
    if (e instanceof TypeError) throw new PlanError(file, [{ line: 1, path: '', message: 'the plan is not UTF-8 text' }]);
    if (e instanceof InputError) throw e;
    throw new InputError(`--file: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const plan = parsePlan(text, file, opts);
  // ADT files are small: their content is checked now, so a bad row stops the plan before it starts.
  // (Device files can be large; the import checks every row before writing any.)
  const problems: PlanProblem[] = [];
  for (const step of plan.steps) {
    if (step.spec.kind !== 'adt.submit') continue;
    try {
      await parseAdtFile(step.spec.file, opts.catalogue);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const lines = e instanceof AdtFileError ? e.problems.map((q) => `${e.file} line ${q.line}: ${q.message}`) : [e.message.split('\n')[0]!];
      for (const message of lines) problems.push({ line: step.line, path: `${step.key}.file`, message });
    }
  }
  if (problems.length) throw new PlanError(file, problems);
  return plan;
}


/** Parses and validates plan text; `file` names it in messages and anchors relative paths. */
export function parsePlan(text: string, file: string, opts: LoadOptions): Plan {
  const lc = new LineCounter();
  // The failsafe schema reads every scalar as text: EUIs of digits stay EUIs, `yes` is not a boolean;
  // this module gives every field its type. JSON is YAML too, so JSON plans get lines the same way.
  const doc = parseDocument(text, { lineCounter: lc, schema: 'failsafe', uniqueKeys: true, prettyErrors: false, strict: true });
  const p = new Problems(lc);
  const format: Plan['format'] = /\.json$/i.test(file) || /^\s*[{[]/.test(text) ? 'json' : 'yaml';
  for (const e of doc.errors) {
    const line = lc.linePos(e.pos[0]).line;
    const msg = e.code === 'DUPLICATE_KEY' ? 'a key appears twice in the same map' : e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    p.add(line, '', `${format === 'json' ? 'not valid JSON/YAML' : 'not valid YAML'}: ${msg}`);
  }
  if (p.list.length) throw new PlanError(file, p.list);
  if (!isMap(doc.contents)) {
    throw new PlanError(file, [{ line: p.lineOf(doc.contents as Node | null), path: '', message: `expected a map with the sections ${SECTIONS.join(', ')}` }]);
  }
  const root = new Entry('', p.lineOf(doc.contents), p, doc.contents);
  root.only(['version', 'as', ...SECTIONS]);
  const version = root.text('version', false);
  if (version !== undefined && version !== String(PLAN_VERSION)) {
    p.add(root.lineOf('version'), 'version', `plan version '${version}' is not supported (this smki reads version ${PLAN_VERSION})`);
  }
  const dir = dirname(resolve(file));
  const builder = new StepBuilder(p, opts.reg, dir);
  // The RA operator's key file for each step: its own (`as`, `recordedAs`, ...), else the plan's `as`,
  // else '' (the key the command was given with --as).
  const planAs = builder.file(root, 'as', false);
  const defaultOperator = (e: Entry, field = 'as'): string => builder.file(e, field, false) ?? planAs ?? '';

  // Sections first read whole, so references may point forward in the file; steps then run in
  // dependency order.
  const parties = sectionEntries(p, root, 'parties');
  const officers = sectionEntries(p, root, 'officers');
  const trustAnchors = sectionEntries(p, root, 'trustAnchors');
  const certificates = sectionEntries(p, root, 'certificates');
  const devices = sectionEntries(p, root, 'devices');
  const adtFiles = sectionEntries(p, root, 'adtFiles');
  const solrEvents = sectionEntries(p, root, 'solrEvents');

  // Plan parties: keys and EUIs are known before any step, so party references resolve to EUIs now.
  const partyEuis = new Map<string, Eui64>();
  for (const { key, entry } of parties) {
    const eui = entry.parsed('eui', false, (t) => parseEui64(t, WHAT));
    if (eui) partyEuis.set(key, eui);
  }
  const officerKinds = new Map<string, 'sro' | 'aro' | undefined>();
  for (const { key, entry } of officers) {
    const k = entry.text('kind', false)?.toLowerCase();
    officerKinds.set(key, k === 'sro' || k === 'aro' ? k : undefined);
  }
  builder.partyEuis = partyEuis;
  builder.partyKeys = new Set(parties.map((x) => x.key));
  for (const { key, entry } of parties) {
    const eui = partyEuis.get(key);
    const name = entry.text('name', false);
    if (eui && name) builder.partyNames.set(eui, name);
  }
  builder.officerKinds = officerKinds;

  // 1. Parties, Suppliers before the SoLRContingency User IDs that act for them.
  const seenEui = new Map<Eui64, string>();
  const partySpecs: { key: string; entry: Entry; actingForKey?: string; specs: Extract<StepSpec, { kind: 'party.add' }>[] }[] = [];
  for (const { key, entry } of parties) {
    entry.only(['name', 'role', 'eui', 'actingFor', 'as']);
    const partyName = entry.text('name', true);
    // One role, or several on one User ID (a dual-fuel Supplier: `role: [ImportSupplier, GasSupplier]`).
    const roles = partyRoles(entry, p);
    const role = roles?.includes(SOLR_CONTINGENCY) ? SOLR_CONTINGENCY : roles?.[0];
    const eui = partyEuis.get(key);
    if (!eui && !entry.has('eui')) entry.text('eui', true);
    if (eui) {
      const other = seenEui.get(eui);
      if (other) p.add(entry.lineOf('eui'), entry.at('eui'), `${eui} is also the User ID of ${other}`);
      seenEui.set(eui, `parties.${key}`);
    }
    let actingFor: Eui64 | undefined;
    let actingForKey: string | undefined;
    if (entry.has('actingFor')) {
      const ref = builder.partyRef(entry, 'actingFor', true);
      actingFor = ref?.eui;
      actingForKey = ref?.planKey;
      if (role !== undefined && role !== SOLR_CONTINGENCY) p.add(entry.lineOf('actingFor'), entry.at('actingFor'), 'only a SoLRContingency User ID acts for a Supplier');
    } else if (role === SOLR_CONTINGENCY) {
      p.add(entry.line, entry.at('actingFor'), 'required: a SoLRContingency User ID names the Supplier User ID it acts for');
    }
    const specs = partyName && roles && eui
      ? roles.map((r) => ({ kind: 'party.add' as const, partyName, role: r, eui, ...(actingFor ? { actingFor } : {}), operator: defaultOperator(entry) }))
      : [];
    partySpecs.push({ key, entry, actingForKey, specs });
  }
  for (const ps of order(partySpecs, (x) => x.key, (x) => (x.actingForKey ? [x.actingForKey] : []), p, 'parties', 'actingFor')) {
    // A further role is added to the User ID its first step registered (or that is already registered).
    let first: number | undefined;
    for (const spec of ps.specs) {
      const n = builder.add({ line: ps.entry.line, kind: 'party.add', key: `parties.${ps.key}`, spec, refs: { parties: ps.actingForKey ? [ps.actingForKey] : [] }, deps: first ? [first] : [] });
      first ??= n;
    }
  }

  // 2. Officers, each SRO before the AROs it nominates; an ARO's activation right after it.
  const officerSpecs: { key: string; entry: Entry; nominatorKey?: string; spec?: Extract<StepSpec, { kind: 'officer.add' }>; partyKey?: string; activatedBy?: string }[] = [];
  // Each plan officer's own key file (`key`), for the steps it signs: an SRO's nominations, an ARO's
  // certificate requests and ADT files (a step's `officerKey` / `nominatorKey` names another).
  const officerKeyFiles = new Map<string, string>();
  for (const { key, entry } of officers) {
    const f = builder.file(entry, 'key', false);
    if (f) officerKeyFiles.set(key, f);
  }
  const signingKey = (entry: Entry, field: string, ref: OfficerRef | undefined, what: string): string | undefined => {
    const own = builder.file(entry, field, false);
    if (own) return own;
    if (entry.has(field)) return undefined;
    const viaRef = ref && 'planKey' in ref ? officerKeyFiles.get(ref.planKey) : undefined;
    if (!viaRef && ref) p.add(entry.line, entry.at(field), `required: ${what}'s key file (give '${field}', or 'key' in the plan's officer entry)`);
    return viaRef;
  };
  for (const { key, entry } of officers) {
    entry.only(['party', 'kind', 'name', 'evidence', 'nominatedBy', 'activatedAs', 'as', 'publicKey', 'key', 'nominatorKey']);
    const party = builder.partyRef(entry, 'party', true);
    const officerKind = entry.parsed('kind', true, (t): 'sro' | 'aro' => {
      const k = t.toLowerCase();
      if (k !== 'sro' && k !== 'aro') throw new InputError(`'${t}' is not sro or aro`);
      return k;
    });
    const name = entry.text('name', true);
    const evidence = entry.text('evidence', false);
    let nominatedBy: OfficerRef | undefined;
    if (officerKind === 'sro') {
      if (!evidence) p.add(entry.line, entry.at('evidence'), 'required: an SRO is registered only with an evidence reference');
      if (entry.has('nominatedBy')) p.add(entry.lineOf('nominatedBy'), entry.at('nominatedBy'), 'an SRO is registered by an RA operator, not nominated');
      if (entry.has('activatedAs')) p.add(entry.lineOf('activatedAs'), entry.at('activatedAs'), 'an SRO is active once registered; only an ARO is activated');
    } else if (officerKind === 'aro') {
      if (!entry.has('nominatedBy')) p.add(entry.line, entry.at('nominatedBy'), 'required: an ARO is nominated by an SRO of the same Party');
      else nominatedBy = builder.officerRef(entry, 'nominatedBy', 'sro');
    }
    const activatedBy = entry.has('activatedAs') ? builder.file(entry, 'activatedAs', true) : undefined;
    const publicKeyFile = builder.file(entry, 'publicKey', true);
    if (publicKeyFile) builder.content(entry, 'publicKey', publicKeyFile, (b) => parsePublicKey(b.toString('utf8'), 'public key'));
    if (officerKind === 'sro' && entry.has('nominatorKey')) p.add(entry.lineOf('nominatorKey'), entry.at('nominatorKey'), 'an SRO is registered by an RA operator, not nominated');
    const nominatorKey = officerKind === 'aro' && nominatedBy ? signingKey(entry, 'nominatorKey', nominatedBy, 'the nominating SRO') : undefined;
    const spec = party && officerKind && name && publicKeyFile && (officerKind === 'sro' || (nominatedBy && nominatorKey))
      ? { kind: 'officer.add' as const, party: party.eui, officerKind, name, ...(nominatedBy ? { nominatedBy } : {}), ...(evidence ? { evidence } : {}), operator: defaultOperator(entry), publicKey: publicKeyFile, ...(nominatorKey ? { nominatorKey } : {}) }
      : undefined;
    officerSpecs.push({ key, entry, nominatorKey: nominatedBy && 'planKey' in nominatedBy ? nominatedBy.planKey : undefined, spec, partyKey: party?.planKey, activatedBy });
  }
  for (const os of order(officerSpecs, (x) => x.key, (x) => (x.nominatorKey ? [x.nominatorKey] : []), p, 'officers', 'nominatedBy')) {
    if (!os.spec) continue;
    const n = builder.add({
      line: os.entry.line,
      kind: 'officer.add',
      key: `officers.${os.key}`,
      spec: os.spec,
      refs: { parties: os.partyKey ? [os.partyKey] : [], officers: os.nominatorKey ? [os.nominatorKey] : [] },
    });
    builder.officerAdded.set(os.key, n);
    if (os.activatedBy && os.spec.officerKind === 'aro') {
      const a = builder.add({
        line: os.entry.lineOf('activatedAs'),
        kind: 'officer.activate',
        key: `officers.${os.key}`,
        spec: { kind: 'officer.activate', officer: os.key, operator: os.activatedBy },
        refs: {},
        deps: [n],
      });
      builder.officerActive.set(os.key, a);
    }
  }

  // 3. Trust anchors (another CA's chain, for the certificates registered next), then certificates:
  //    `register` (another CA's certificate) or `csr` (issued here).
  for (const { key, entry } of trustAnchors) {
    entry.only(['file', 'as']);
    const file = builder.file(entry, 'file', true);
    const chain = file ? builder.content(entry, 'file', file, (b) => orderedAnchorChain(allFromPem(b.toString('latin1'), ['CERTIFICATE'], 'chain').map((d) => readCaCertificate(d, 'chain certificate')), 'chain')) : undefined;
    if (file && chain) builder.add({ line: entry.line, kind: 'ca.trust', key: `trustAnchors.${key}`, spec: { kind: 'ca.trust', file, operator: defaultOperator(entry) }, refs: {} });
  }
  for (const { key, entry } of certificates) {
    const party = builder.partyRef(entry, 'party', true);
    if (entry.has('register') && entry.has('csr')) {
      p.add(entry.line, entry.path, "give either 'csr' (issue a certificate) or 'register' (record another CA's certificate), not both");
      continue;
    }
    if (entry.has('register')) {
      entry.only(['register', 'party', 'as']);
      const file = builder.file(entry, 'register');
      const info = file ? builder.content(entry, 'register', file, (b) => readOrganisationCertificate(b, 'certificate')) : undefined;
      if (info && party && info.eui !== party.eui) {
        p.add(entry.lineOf('register'), entry.at('register'), `the certificate's Entity Identifier is ${info.eui}, not the party's ${party.eui}`);
      }
      if (party && file && info) {
        builder.add({ line: entry.line, kind: 'cert.register', key: `certificates.${key}`,
          spec: { kind: 'cert.register', file, party: party.eui, serialHex: info.serialHex, operator: defaultOperator(entry) },
          refs: { parties: party.planKey ? [party.planKey] : [] } });
      }
      continue;
    }
    entry.only(['csr', 'profile', 'party', 'officer', 'officerKey', 'out']);
    const csrFile = builder.file(entry, 'csr', true);
    const csr = csrFile ? builder.content(entry, 'csr', csrFile, (b) => parseCsr(b, 'CSR')) : undefined;
    const profile = entry.parsed('profile', true, (t) => parseProfileName(t, WHAT));
    const officer = builder.officerRef(entry, 'officer', 'aro', true);
    const outText = entry.text('out', false);
    const out = outText ? resolvePath(dir, outText) : undefined;
    if (out && !isDirectory(dirname(out))) p.add(entry.lineOf('out'), entry.at('out'), `${outText}: its folder does not exist`);
    const certOfficerKey = officer ? signingKey(entry, 'officerKey', officer, 'the requesting ARO') : undefined;
    if (party && csr && csrFile && profile && officer && certOfficerKey) {
      builder.add({ line: entry.line, kind: 'cert.issue', key: `certificates.${key}`,
        spec: { kind: 'cert.issue', csrFile, profile, party: party.eui, officer, officerKey: certOfficerKey, spkiSha256: spkiFingerprint(csr.spkiDer), ...(out ? { out } : {}) },
        refs: { parties: party.planKey ? [party.planKey] : [], activeOfficers: 'planKey' in officer ? [officer.planKey] : [] } });
    }
  }

  // 4. Device files.
  for (const { key, entry } of devices) {
    entry.only(['file', 'as']);
    const file = builder.file(entry, 'file', true);
    if (file) builder.add({ line: entry.line, kind: 'device.import', key: `devices.${key}`, spec: { kind: 'device.import', file, operator: defaultOperator(entry) }, refs: {} });
  }

  // 5. ADT files.
  for (const { key, entry } of adtFiles) {
    entry.only(['file', 'party', 'officer', 'officerKey']);
    const file = builder.file(entry, 'file', true);
    const party = builder.partyRef(entry, 'party', true);
    const officer = builder.officerRef(entry, 'officer', 'aro', true);
    const adtOfficerKey = officer ? signingKey(entry, 'officerKey', officer, 'the submitting ARO') : undefined;
    if (file && party && officer && adtOfficerKey) {
      builder.add({ line: entry.line, kind: 'adt.submit', key: `adtFiles.${key}`, spec: { kind: 'adt.submit', file, party: party.eui, officer, officerKey: adtOfficerKey },
        refs: { parties: party.planKey ? [party.planKey] : [], activeOfficers: 'planKey' in officer ? [officer.planKey] : [] } });
    }
  }

  // 6. SoLR events: record, then (optionally) approve, then (optionally) revoke the Supplier.
  for (const { key, entry } of solrEvents) {
    entry.only(['failedSupplier', 'srp', 'instruction', 'from', 'until', 'recordedAs', 'approvedAs', 'revokeSupplier', 'revokedAs']);
    const supplier = builder.partyRef(entry, 'failedSupplier', true);
    const srp = builder.partyRef(entry, 'srp', true);
    const instruction = entry.text('instruction', true);
    const from = entry.parsed('from', true, (t) => parseTime(t, WHAT, opts.now));
    const until = entry.parsed('until', true, (t) => parseTime(t, WHAT, opts.now));
    if (from && until && !(until.getTime() > from.getTime())) p.add(entry.lineOf('until'), entry.at('until'), "must be after 'from'");
    const approvedBy = entry.has('approvedAs') ? builder.file(entry, 'approvedAs', true) : undefined;
    const revoke = entry.flag('revokeSupplier');
    if (entry.has('revokedAs') && !revoke) p.add(entry.lineOf('revokedAs'), entry.at('revokedAs'), "only with 'revokeSupplier: true'");
    if (!(supplier && srp && instruction && from && until)) continue;
    const rec = builder.add({ line: entry.line, kind: 'solr.record', key: `solrEvents.${key}`,
      spec: { kind: 'solr.record', failedSupplier: supplier.eui, srp: srp.eui, instruction, from, until, operator: defaultOperator(entry, 'recordedAs') },
      refs: { parties: [supplier.planKey, srp.planKey].filter((x): x is string => !!x) } });
    let last = rec;
    if (approvedBy) {
      last = builder.add({ line: entry.lineOf('approvedAs'), kind: 'solr.approve', key: `solrEvents.${key}`, spec: { kind: 'solr.approve', event: key, operator: approvedBy }, refs: {}, deps: [rec] });
    }
    if (revoke) {
      // Revocation needs the plan's certificate steps for the failed Supplier's Party done first.
      const supplierParty = builder.partyNameOf(supplier.eui);
      const certSteps = builder.steps
        .filter((s) => (s.spec.kind === 'cert.issue' || s.spec.kind === 'cert.register') && supplierParty !== undefined && builder.partyNameOf(s.spec.party) === supplierParty)
        .map((s) => s.n);
      builder.add({ line: entry.lineOf('revokeSupplier'), kind: 'solr.revoke-supplier', key: `solrEvents.${key}`,
        spec: { kind: 'solr.revoke-supplier', event: key, operator: defaultOperator(entry, 'revokedAs') }, refs: {}, deps: [last, ...certSteps] });
    }
  }

  if (p.list.length) throw new PlanError(file, p.list.sort((a, b) => a.line - b.line));
  if (builder.steps.length === 0) throw new PlanError(file, [{ line: 1, path: '', message: `the plan has no steps (sections: ${SECTIONS.join(', ')})` }]);
  return { file, dir, format, steps: builder.steps };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function resolvePath(dir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dir, path);
}

/** Stable topological order within a section (plan order where references allow); cycles are problems. */
/** The User Role(s) of a parties entry: each known, none twice, SoLRContingency alone. */
function partyRoles(entry: Entry, p: Problems): UserRoleCode[] | undefined {
  const texts = entry.texts('role', true);
  if (!texts) return undefined;
  const roles: UserRoleCode[] = [];
  for (const t of texts) {
    try {
      const r = parseUserRole(t, WHAT);
      if (roles.includes(r)) p.add(entry.lineOf('role'), entry.at('role'), `${t} is given twice`);
      else roles.push(r);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      p.add(entry.lineOf('role'), entry.at('role'), stripWhat(e.message));
      return undefined;
    }
  }
  if (roles.length > 1 && roles.includes(SOLR_CONTINGENCY)) {
    p.add(entry.lineOf('role'), entry.at('role'), 'a SoLRContingency User ID holds that User Role alone');
    return undefined;
  }
  return roles;
}

function order<T extends { entry: Entry }>(items: T[], keyOf: (x: T) => string, refsOf: (x: T) => string[], p: Problems, section: string, field: string): T[] {
  const byKey = new Map(items.map((x) => [keyOf(x), x]));
  const out: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (x: T, trail: string[]) => {
    const k = keyOf(x);
    if (state.get(k) === 'done') return;
    if (state.get(k) === 'visiting') {
      p.add(x.entry.lineOf(field), `${section}.${k}.${field}`, `circular reference (${[...trail, k].join(' -> ')})`);
      return;
    }
    state.set(k, 'visiting');
    for (const r of refsOf(x)) {
      const y = byKey.get(r);
      if (y) visit(y, [...trail, k]);
    }
    state.set(k, 'done');
    out.push(x);
  };
  for (const x of items) visit(x, []);
  return out;
}

interface Refs {
  parties?: string[];
  officers?: string[];
  /** Officers that must be active: depends on their activation step when the plan has one. */
  activeOfficers?: string[];
}

class StepBuilder {
  readonly steps: PlanStep[] = [];
  partyEuis = new Map<string, Eui64>();
  partyKeys = new Set<string>();
  /** Party name by User ID, for the plan's User IDs. */
  readonly partyNames = new Map<Eui64, string>();
  officerKinds = new Map<string, 'sro' | 'aro' | undefined>();
  readonly partyAdded = new Map<string, number>();
  readonly officerAdded = new Map<string, number>();
  readonly officerActive = new Map<string, number>();

  constructor(
    private readonly p: Problems,
    private readonly reg: Registry,
    private readonly dir: string,
  ) {}

  add(s: { line: number; kind: StepKind; key: string; spec: StepSpec; refs: Refs; deps?: number[] }): number {
    const n = this.steps.length + 1;
    const deps = new Set(s.deps ?? []);
    for (const k of s.refs.parties ?? []) { const d = this.partyAdded.get(k); if (d) deps.add(d); }
    for (const k of s.refs.officers ?? []) { const d = this.officerAdded.get(k); if (d) deps.add(d); }
    for (const k of s.refs.activeOfficers ?? []) { const d = this.officerActive.get(k) ?? this.officerAdded.get(k); if (d) deps.add(d); }
    this.steps.push({ n, line: s.line, kind: s.kind, key: s.key, deps: [...deps].sort((a, b) => a - b), spec: s.spec });
    if (s.kind === 'party.add') this.partyAdded.set(s.key.slice('parties.'.length), n);
    return n;
  }

  /** The Party (organisation) name of a User ID in the plan or the registry. */
  partyNameOf(eui: Eui64): string | undefined {
    return this.partyNames.get(eui) ?? findUserId(this.reg, eui)?.partyName;
  }

  /** A party reference: a plan key, or the EUI of a User ID in the plan or already registered. */
  partyRef(e: Entry, field: string, required: boolean): { eui: Eui64; planKey?: string } | undefined {
    const t = e.text(field, required);
    if (t === undefined) return undefined;
    const byKey = this.partyEuis.get(t);
    if (byKey) return { eui: byKey, planKey: t };
    // A plan party whose own EUI is wrong: that problem is reported at the party already.
    if (this.partyKeys.has(t)) return undefined;
    if (isEui64Text(t)) {
      const eui = parseEui64(t);
      for (const [k, v] of this.partyEuis) if (v === eui) return { eui, planKey: k };
      if (findUserId(this.reg, eui)) return { eui };
      this.p.add(e.lineOf(field), e.at(field), `no party with User ID ${eui} in the plan, and none is registered`);
      return undefined;
    }
    this.p.add(e.lineOf(field), e.at(field), `no party '${t}' in the plan`);
    return undefined;
  }

  /** An officer reference: a plan key (of the kind the field expects) or a registered officer ID (OFC-n). */
  officerRef(e: Entry, field: string, kind: 'sro' | 'aro', required = false): OfficerRef | undefined {
    const t = e.text(field, required);
    if (t === undefined) return undefined;
    const label = kind.toUpperCase();
    if (this.officerKinds.has(t)) {
      const k = this.officerKinds.get(t);
      if (k && k !== kind) {
        this.p.add(e.lineOf(field), e.at(field), `'${t}' is an ${k.toUpperCase()} in the plan; ${field} names an ${label}`);
        return undefined;
      }
      return { planKey: t };
    }
    if (/^OFC-\d+$/i.test(t)) {
      const o = findOfficer(this.reg, t);
      if (o) return { id: o.id };
      this.p.add(e.lineOf(field), e.at(field), `no ${label} '${t}' in the plan, and no officer ${t.toUpperCase()} is registered`);
      return undefined;
    }
    this.p.add(e.lineOf(field), e.at(field), `no ${label} '${t}' in the plan`);
    return undefined;
  }

  /** A path field: resolved against the plan's folder; must name a readable file. */
  file(e: Entry, field: string, required = true): string | undefined {
    const t = e.text(field, required);
    if (t === undefined) return undefined;
    const path = resolvePath(this.dir, t);
    try {
      if (!statSync(path).isFile()) {
        this.p.add(e.lineOf(field), e.at(field), `${t} is not a file`);
        return undefined;
      }
    } catch (err) {
      this.p.add(e.lineOf(field), e.at(field), `${t}: no such file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}; paths are relative to the plan's folder)`);
      return undefined;
    }
    return path;
  }

  /** Reads a small file given in the plan and checks its content with `parse`. */
  content<T>(e: Entry, field: string, path: string, parse: (bytes: Buffer) => T): T | undefined {
    try {
      return parse(readInputFile(path, field, INPUT_LIMITS.chain));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      this.p.add(e.lineOf(field), e.at(field), `${e.text(field, false)}: ${err.message.split('\n')[0]}`);
      return undefined;
    }
  }
}
