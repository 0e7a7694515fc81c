// Safe XML parser for untrusted input (DUIS Service Requests). A small hand-written tokenizer that
// builds an immutable, namespace-resolved tree. It accepts only what DUIS needs and refuses the rest
// outright, before any expansion or allocation it could be tricked into:
//   * the byte size is checked before a single character is parsed (default 1 MiB);
//   * any DOCTYPE / DTD is refused, so no internal or external entity can ever be expanded;
//   * comments and processing instructions are refused anywhere (a signer's own local files may opt
//     in to dropping comments, see `allowComments`);
//   * only the five predefined entities and numeric character references are recognised;
//   * element depth and per-element attribute counts are limited;
//   * the text must be UTF-8 XML 1.0 (an encoding declaration naming anything else is refused).
// Line ends are normalised and attribute values normalised as XML 1.0 requires (no DTD, so every
// attribute is CDATA), which is exactly the data model Canonical XML works on.
import { InputError } from '../../domain/errors.js';

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

export interface XmlLimits {
  /** Largest accepted input in bytes (UTF-8), checked before parsing. Default 1 MiB. */
  maxBytes?: number;
  /** Deepest accepted element nesting; the root element is depth 1. Default 32. */
  maxDepth?: number;
  /** Most attributes on one element, namespace declarations included. Default 32. */
  maxAttributes?: number;
}

export const DEFAULT_XML_LIMITS: Readonly<Required<XmlLimits>> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 32,
  maxAttributes: 32,
});

export interface XmlParseOptions extends XmlLimits {
  /**
   * Only for local files the operator signs (DUIS templates carry a comment in their placeholder
   * signature): comments are skipped and left out of the tree. Never set for received input.
   */
  allowComments?: boolean;
}

export interface XmlAttribute {
  readonly prefix: string;
  readonly localName: string;
  /** '' for an unprefixed attribute (attributes never take the default namespace). */
  readonly namespaceURI: string;
  readonly qName: string;
  /** The normalised value, references resolved. */
  readonly value: string;
}

/** A namespace declaration written on an element: `xmlns="uri"` (prefix '') or `xmlns:p="uri"`. */
export interface XmlNamespaceDeclaration {
  readonly prefix: string;
  readonly uri: string;
}

export interface XmlText {
  readonly type: 'text';
  /** Character data (CDATA sections merged in), line ends normalised, references resolved. */
  readonly value: string;
}

export interface XmlElement {
  readonly type: 'element';
  readonly prefix: string;
  readonly localName: string;
  /** '' when the element is in no namespace. */
  readonly namespaceURI: string;
  readonly qName: string;
  /** Attributes other than namespace declarations, in document order. */
  readonly attributes: readonly XmlAttribute[];
  /** Namespace declarations written on this element, in document order. */
  readonly namespaces: readonly XmlNamespaceDeclaration[];
  /** Elements and text in document order; adjacent character data is one text node. */
  readonly children: readonly XmlNode[];
  readonly parent: XmlElement | null;
  /** 1 for the root element. */
  readonly depth: number;
}

export type XmlNode = XmlElement | XmlText;

export interface XmlDeclaration {
  readonly version: string;
  readonly encoding?: string;
  readonly standalone?: 'yes' | 'no';
}

export interface XmlDocument {
  readonly root: XmlElement;
  readonly declaration: XmlDeclaration | null;
  /** Size of the input in bytes (UTF-8). */
  readonly byteLength: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The attributes or namespace declarations of an element that has none (one frozen array for all). */
const NONE: readonly never[] = Object.freeze([]);

/**
 * Namespace names the readers of the tree compare elements against (registerNamespace): a declaration
 * of one of them gives its element and attribute names the very string the reader holds, so each
 * comparison is one of identity instead of some 40 characters. Equal strings either way.
 */
const KNOWN_NAMESPACES = new Map<string, string>([[XML_NS, XML_NS]]);

/** Lets `uri` be recognised by identity in trees parsed from now on (see KNOWN_NAMESPACES). */
export function registerNamespace(uri: string): void {
  if (KNOWN_NAMESPACES.size < 64) KNOWN_NAMESPACES.set(uri, uri);
}

/** Anything that is not an XML 1.0 Char (lone surrogates included). */
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const XML_DECL =
  /^<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])(1\.[0-9]+)\1(?:[ \t\n]+encoding[ \t\n]*=[ \t\n]*(["'])([A-Za-z][A-Za-z0-9._-]*)\3)?(?:[ \t\n]+standalone[ \t\n]*=[ \t\n]*(["'])(yes|no)\5)?[ \t\n]*\?>$/;

/**
 * Parses untrusted XML into an immutable tree. Throws InputError (one line, with line and column
 * where it applies) for anything malformed, over a limit, or outside the accepted subset.
 */
export function parseXml(input: Buffer | Uint8Array | string, options: XmlParseOptions = {}): XmlDocument {
  const maxBytes = options.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes;
  let text: string;
  let byteLength: number;
  if (typeof input === 'string') {
    // A UTF-16 code unit is at least one UTF-8 byte: refuse long strings without measuring them.
    if (input.length > maxBytes) throw tooBig(input.length, maxBytes, true);
    byteLength = Buffer.byteLength(input, 'utf8');
    if (byteLength > maxBytes) throw tooBig(byteLength, maxBytes, false);
    text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  } else {
    byteLength = input.byteLength;
    if (byteLength > maxBytes) throw tooBig(byteLength, maxBytes, false);
    try {
      text = utf8.decode(input); // strips a UTF-8 byte order mark
    } catch {
      throw new InputError('XML: the document is not valid UTF-8');
    }
  }
  if (text.indexOf('\r') !== -1) text = text.replace(/\r\n?/g, '\n');
  const bad = NOT_XML_CHAR.exec(text);
  if (bad) {
    const cp = bad[0].codePointAt(0)!;
    throw new InputError(`XML: character U+${cp.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML 1.0${at(text, bad.index)}`);
  }
  return new Parser(text, byteLength, options).parseDocument();
}

function tooBig(n: number, max: number, atLeast: boolean): InputError {
  return new InputError(`XML: the document is ${atLeast ? 'at least ' : ''}${n} bytes, over the ${max}-byte limit`);
}

function at(text: string, pos: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return ` (line ${line}, column ${pos - lineStart + 1})`;
}

function isNameStartCode(c: number): boolean {
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a;
  return (
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) ||
    (c >= 0x37f && c <= 0x1fff) ||
    (c >= 0x200c && c <= 0x200d) ||
    (c >= 0x2070 && c <= 0x218f) ||
    (c >= 0x2c00 && c <= 0x2fef) ||
    (c >= 0x3001 && c <= 0xd7ff) ||
    (c >= 0xf900 && c <= 0xfdcf) ||
    (c >= 0xfdf0 && c <= 0xfffd) ||
    (c >= 0xd800 && c <= 0xdb7f) // high surrogate of U+10000..U+EFFFF (pairing checked up front)
  );
}

function isNameCode(c: number): boolean {
  if (c < 0x80) {
    return (
      (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
      c === 0x5f || c === 0x3a || c === 0x2d || c === 0x2e
    );
  }
  return (
    isNameStartCode(c) ||
    c === 0xb7 ||
    (c >= 0x300 && c <= 0x36f) ||
    (c >= 0x203f && c <= 0x2040) ||
    (c >= 0xdc00 && c <= 0xdfff)
  );
}

function isWsCode(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

/** True when the string is empty or only XML white space (space, tab, CR, LF). */
export function isXmlWhitespace(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isWsCode(s.charCodeAt(i))) return false;
  return true;
}

/** Removes leading and trailing XML white space (not the wider Unicode set String.trim knows). */
export function trimXmlWhitespace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWsCode(s.charCodeAt(a))) a++;
  while (b > a && isWsCode(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function isLegalCharCode(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

function printable(s: string): string {
  const t = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  return JSON.stringify(t);
}

interface RawAttribute {
  qName: string;
  value: string;
  pos: number;
}

class Parser {
  private pos = 0;
  private readonly maxDepth: number;
  private readonly maxAttributes: number;
  private readonly allowComments: boolean;
  /** In-scope namespace bindings as a flat [prefix, uri, prefix, uri, ...] stack. */
  private readonly nsStack: string[] = [];
  private readonly nsMarks: number[] = [];
  /** Set by startTag beside the element it returns: its (still open) child list, and whether it was empty (`<a/>`). */
  private startedChildren: XmlNode[] = [];
  private startedEmpty = false;

  constructor(
    private readonly s: string,
    private readonly byteLength: number,
    options: XmlParseOptions,
  ) {
    this.maxDepth = options.maxDepth ?? DEFAULT_XML_LIMITS.maxDepth;
    this.maxAttributes = options.maxAttributes ?? DEFAULT_XML_LIMITS.maxAttributes;
    this.allowComments = options.allowComments === true;
  }

  private fail(message: string, pos = this.pos): never {
    throw new InputError(`XML: ${message}${at(this.s, Math.min(pos, this.s.length))}`);
  }

  parseDocument(): XmlDocument {
    const s = this.s;
    let declaration: XmlDeclaration | null = null;
    if (s.startsWith('<?xml') && isWsCode(s.charCodeAt(5))) declaration = this.parseDeclaration();
    this.skipMisc(false);
    if (this.pos >= s.length) this.fail('no root element');
    const root = this.parseContent();
    this.skipMisc(true);
    if (this.pos < s.length) this.fail('content after the root element');
    return Object.freeze({ root, declaration, byteLength: this.byteLength });
  }

  private parseDeclaration(): XmlDeclaration {
    const end = this.s.indexOf('?>');
    if (end === -1 || end > 256) this.fail('malformed XML declaration', 0);
    const m = XML_DECL.exec(this.s.slice(0, end + 2));
    if (!m) this.fail('malformed XML declaration', 0);
    if (m[2] !== '1.0') this.fail(`XML version ${m[2]} is not accepted (only 1.0)`, 0);
    const encoding = m[4];
    if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
      this.fail(`encoding ${printable(encoding)} is not accepted (only UTF-8)`, 0);
    }
    this.pos = end + 2;
    const decl: { version: string; encoding?: string; standalone?: 'yes' | 'no' } = { version: m[2] };
    if (encoding !== undefined) decl.encoding = encoding;
    if (m[6] !== undefined) decl.standalone = m[6] as 'yes' | 'no';
    return Object.freeze(decl);
  }

  /** White space, and (never accepted) DTDs, comments and processing instructions, outside the root. */
  private skipMisc(afterRoot: boolean): void {
    const s = this.s;
    for (;;) {
      while (this.pos < s.length && isWsCode(s.charCodeAt(this.pos))) this.pos++;
      if (this.pos >= s.length) return;
      if (s.charCodeAt(this.pos) !== 0x3c /* < */) {
        this.fail(afterRoot ? 'content after the root element' : 'text before the root element');
      }
      const next = s.charCodeAt(this.pos + 1);
      if (next === 0x21 /* ! */) {
        if (s.startsWith('<!--', this.pos)) {
          this.skipComment();
          continue;
        }
        if (s.startsWith('<!DOCTYPE', this.pos)) this.fail('DOCTYPE declarations are refused (no DTD, no entities)');
        this.fail('markup declarations are refused');
      }
      if (next === 0x3f /* ? */) this.refusePi();
      if (afterRoot) this.fail('content after the root element');
      return;
    }
  }

  private refusePi(): never {
    if (this.s.startsWith('<?xml', this.pos) && (isWsCode(this.s.charCodeAt(this.pos + 5)) || this.s.charCodeAt(this.pos + 5) === 0x3f)) {
      this.fail('the XML declaration is only allowed at the very start');
    }
    this.fail('processing instructions are refused');
  }

  private skipComment(): void {
    if (!this.allowComments) this.fail('comments are refused');
    const end = this.s.indexOf('--', this.pos + 4);
    if (end === -1) this.fail('unterminated comment');
    if (this.s.charCodeAt(end + 2) !== 0x3e) this.fail("'--' inside a comment", end);
    this.pos = end + 3;
  }

  /** Parses the root element and everything in it, with an explicit stack (no recursion). */
  private parseContent(): XmlElement {
    const s = this.s;
    const stack: XmlElement[] = [];
    const kids: XmlNode[][] = [];
    let text = '';
    let root: XmlElement | null = null;
    const flush = (): void => {
      if (text !== '') {
        kids[kids.length - 1]!.push(Object.freeze({ type: 'text' as const, value: text }));
        text = '';
      }
    };
    for (;;) {
      if (stack.length > 0) {
        const lt = s.indexOf('<', this.pos);
        if (lt === -1) this.fail(`unexpected end of document inside <${stack[stack.length - 1]!.qName}>`, s.length);
        if (lt > this.pos) {
          text += this.charData(this.pos, lt);
          this.pos = lt;
        }
      }
      // this.pos is at '<'
      const c = s.charCodeAt(this.pos + 1);
      if (c === 0x2f /* / */) {
        if (stack.length === 0) this.fail('end tag before the root element');
        const start = this.pos;
        const nameEnd = this.readName(this.pos + 2);
        const qName = s.slice(this.pos + 2, nameEnd);
        this.pos = nameEnd;
        this.skipWs();
        if (s.charCodeAt(this.pos) !== 0x3e) this.fail(`malformed end tag </${qName}`);
        this.pos++;
        const open = stack[stack.length - 1]!;
        if (open.qName !== qName) this.fail(`end tag </${qName}> does not match <${open.qName}>`, start);
        flush();
        Object.freeze(kids.pop());
        stack.pop();
        this.popNamespaces();
        if (stack.length === 0) return open;
        continue;
      }
      if (c === 0x21 /* ! */) {
        if (s.startsWith('<![CDATA[', this.pos)) {
          const end = s.indexOf(']]>', this.pos + 9);
          if (end === -1) this.fail('unterminated CDATA section');
          text += s.slice(this.pos + 9, end);
          this.pos = end + 3;
          continue;
        }
        if (s.startsWith('<!--', this.pos)) {
          this.skipComment();
          continue;
        }
        if (s.startsWith('<!DOCTYPE', this.pos)) this.fail('DOCTYPE declarations are refused (no DTD, no entities)');
        this.fail('markup declarations are refused');
      }
      if (c === 0x3f /* ? */) this.refusePi();
      // start tag
      flush();
      const parent = stack.length > 0 ? stack[stack.length - 1]! : null;
      const depth = stack.length + 1;
      if (depth > this.maxDepth) this.fail(`elements nested deeper than ${this.maxDepth}`);
      const el = this.startTag(parent, depth);
      const children = this.startedChildren;
      const empty = this.startedEmpty;
      if (parent) kids[kids.length - 1]!.push(el);
      else root = el;
      if (empty) {
        Object.freeze(children);
        this.popNamespaces();
        if (!parent) return root!;
      } else {
        stack.push(el);
        kids.push(children);
      }
    }
  }

  private skipWs(): boolean {
    const start = this.pos;
    while (isWsCode(this.s.charCodeAt(this.pos))) this.pos++;
    return this.pos > start;
  }

  /** Returns the end of the Name starting at `pos`. */
  private readName(pos: number): number {
    const s = this.s;
    if (!isNameStartCode(s.charCodeAt(pos))) {
      if (pos >= s.length) this.fail('unexpected end of document', pos);
      this.fail(`expected a name, found ${printable(s.charAt(pos))}`, pos);
    }
    let i = pos + 1;
    while (i < s.length && isNameCode(s.charCodeAt(i))) i++;
    return i;
  }

  private charData(start: number, end: number): string {
    const raw = this.s.slice(start, end);
    const bad = raw.indexOf(']]>');
    if (bad !== -1) this.fail("']]>' is not allowed in character data", start + bad);
    return raw.indexOf('&') === -1 ? raw : this.resolveRefs(raw, start);
  }

  private resolveRefs(raw: string, base: number): string {
    let out = '';
    let last = 0;
    for (let i = raw.indexOf('&'); i !== -1; i = raw.indexOf('&', last)) {
      out += raw.slice(last, i);
      const semi = raw.indexOf(';', i + 1);
      if (semi === -1 || semi - i > 40) this.fail("'&' must start an entity or character reference", base + i);
      const name = raw.slice(i + 1, semi);
      switch (name) {
        case 'lt': out += '<'; break;
        case 'gt': out += '>'; break;
        case 'amp': out += '&'; break;
        case 'quot': out += '"'; break;
        case 'apos': out += "'"; break;
        default: {
          let cp = NaN;
          if (/^#[0-9]+$/.test(name)) cp = Number.parseInt(name.slice(1), 10);
          else if (/^#x[0-9A-Fa-f]+$/.test(name)) cp = Number.parseInt(name.slice(2), 16);
          else this.fail(`entity reference ${printable(`&${name};`)} is refused (only &lt; &gt; &amp; &quot; &apos; and character references)`, base + i);
          if (!isLegalCharCode(cp)) this.fail(`character reference &${name}; is not an XML 1.0 character`, base + i);
          out += String.fromCodePoint(cp);
        }
      }
      last = semi + 1;
    }
    return out + raw.slice(last);
  }

  private lookup(prefix: string): string | undefined {
    const st = this.nsStack;
    for (let i = st.length - 2; i >= 0; i -= 2) if (st[i] === prefix) return st[i + 1];
    if (prefix === 'xml') return XML_NS;
    if (prefix === '') return '';
    return undefined;
  }

  private popNamespaces(): void {
    const mark = this.nsMarks.pop()!;
    if (this.nsStack.length !== mark) this.nsStack.length = mark;
  }

  private splitQName(qName: string, pos: number): [string, string] {
    const colon = qName.indexOf(':');
    if (colon === -1) return ['', qName];
    const prefix = qName.slice(0, colon);
    const local = qName.slice(colon + 1);
    if (colon === 0 || local.length === 0 || local.indexOf(':') !== -1 || !isNameStartCode(local.charCodeAt(0))) {
      this.fail(`${printable(qName)} is not a namespace-well-formed name`, pos);
    }
    return [prefix, local];
  }

  private startTag(parent: XmlElement | null, depth: number): XmlElement {
    const s = this.s;
    const tagStart = this.pos;
    const nameEnd = this.readName(this.pos + 1);
    const qName = s.slice(this.pos + 1, nameEnd);
    this.pos = nameEnd;
    const raws: RawAttribute[] = [];
    let empty = false;
    for (;;) {
      const ws = this.skipWs();
      const c = s.charCodeAt(this.pos);
      if (c === 0x3e /* > */) {
        this.pos++;
        break;
      }
      if (c === 0x2f /* / */) {
        if (s.charCodeAt(this.pos + 1) !== 0x3e) this.fail(`malformed start tag <${qName}`);
        this.pos += 2;
        empty = true;
        break;
      }
      if (this.pos >= s.length) this.fail(`unexpected end of document in <${qName}`);
      if (!ws) this.fail(`malformed start tag <${qName}`);
      const attrPos = this.pos;
      const an = this.readName(this.pos);
      const aName = s.slice(this.pos, an);
      this.pos = an;
      this.skipWs();
      if (s.charCodeAt(this.pos) !== 0x3d /* = */) this.fail(`attribute ${aName} has no value`);
      this.pos++;
      this.skipWs();
      const q = s.charCodeAt(this.pos);
      if (q !== 0x22 && q !== 0x27) this.fail(`attribute ${aName} value is not quoted`);
      const end = s.indexOf(q === 0x22 ? '"' : "'", this.pos + 1);
      if (end === -1) this.fail(`unterminated value of attribute ${aName}`);
      let raw = s.slice(this.pos + 1, end);
      const lt = raw.indexOf('<');
      if (lt !== -1) this.fail(`'<' in the value of attribute ${aName}`, this.pos + 1 + lt);
      if (raw.indexOf('\n') !== -1 || raw.indexOf('\t') !== -1) raw = raw.replace(/[\t\n]/g, ' ');
      const value = raw.indexOf('&') === -1 ? raw : this.resolveRefs(raw, this.pos + 1);
      this.pos = end + 1;
      for (const r of raws) if (r.qName === aName) this.fail(`duplicate attribute ${aName}`, attrPos);
      raws.push({ qName: aName, value, pos: attrPos });
      if (raws.length > this.maxAttributes) this.fail(`more than ${this.maxAttributes} attributes on <${qName}>`, attrPos);
    }

    // Namespace declarations first: they apply to this element's own name and attributes.
    this.nsMarks.push(this.nsStack.length);
    const namespaces: XmlNamespaceDeclaration[] = [];
    for (const r of raws) {
      let prefix: string;
      if (r.qName === 'xmlns') prefix = '';
      else if (r.qName.startsWith('xmlns:')) prefix = r.qName.slice(6);
      else continue;
      const uri = KNOWN_NAMESPACES.get(r.value) ?? r.value;
      if (prefix !== '') {
        this.splitQName(`x:${prefix}`, r.pos);
        if (prefix === 'xmlns') this.fail('the xmlns prefix must not be declared', r.pos);
        if (uri === '') this.fail(`namespace prefix ${prefix} cannot be undeclared in XML 1.0`, r.pos);
        if ((prefix === 'xml') !== (uri === XML_NS)) this.fail('the xml prefix is bound to its own namespace only', r.pos);
      } else if (uri === XML_NS) {
        this.fail('the XML namespace cannot be the default namespace', r.pos);
      }
      if (uri === XMLNS_NS) this.fail('the xmlns namespace cannot be declared', r.pos);
      if (uri !== '' && !ABSOLUTE_URI.test(uri)) this.fail(`namespace name ${printable(uri)} is not an absolute URI`, r.pos);
      this.nsStack.push(prefix, uri);
      namespaces.push(Object.freeze({ prefix, uri }));
    }

    const [prefix, localName] = this.splitQName(qName, tagStart);
    if (prefix === 'xmlns') this.fail(`element <${qName}> uses the reserved xmlns prefix`, tagStart);
    const namespaceURI = this.lookup(prefix);
    if (namespaceURI === undefined) this.fail(`namespace prefix ${prefix} is not declared`, tagStart);

    const attributes: XmlAttribute[] = [];
    for (const r of raws) {
      if (r.qName === 'xmlns' || r.qName.startsWith('xmlns:')) continue;
      const [ap, al] = this.splitQName(r.qName, r.pos);
      const auri = ap === '' ? '' : this.lookup(ap);
      if (auri === undefined) this.fail(`namespace prefix ${ap} is not declared`, r.pos);
      for (const a of attributes) {
        if (a.localName === al && a.namespaceURI === auri) this.fail(`duplicate attribute {${auri}}${al}`, r.pos);
      }
      attributes.push(Object.freeze({ prefix: ap, localName: al, namespaceURI: auri, qName: r.qName, value: r.value }));
    }

    const children: XmlNode[] = [];
    const el: XmlElement = Object.freeze({
      type: 'element' as const,
      prefix,
      localName,
      namespaceURI,
      qName,
      attributes: attributes.length === 0 ? NONE : Object.freeze(attributes),
      namespaces: namespaces.length === 0 ? NONE : Object.freeze(namespaces),
      children,
      parent,
      depth,
    });
    this.startedChildren = children;
    this.startedEmpty = empty;
    return el;
  }
}

// ---- small helpers for readers of the tree -------------------------------------------------------

/** The element children, in document order. */
export function childElements(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) if (c.type === 'element') out.push(c);
  return out;
}

/**
 * The element children of `el`, which must hold nothing else but white space; `refuse` names the
 * error the caller's layer raises for stray text.
 */
export function elementChildrenOnly(el: XmlElement, refuse: (message: string) => never): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.type === 'element') out.push(c);
    else if (!isXmlWhitespace(c.value)) refuse(`unexpected text in ${elementPath(el)}`);
  }
  return out;
}

/** The concatenated text of the element's direct text children. */
export function directText(el: XmlElement): string {
  let t = '';
  for (const c of el.children) if (c.type === 'text') t += c.value;
  return t;
}

/** The namespace URI bound to `prefix` ('' = default namespace) where `el` is; undefined if unbound. */
export function lookupNamespaceURI(el: XmlElement, prefix: string): string | undefined {
  for (let e: XmlElement | null = el; e; e = e.parent) {
    for (const d of e.namespaces) if (d.prefix === prefix) return d.uri;
  }
  if (prefix === 'xml') return XML_NS;
  if (prefix === '') return '';
  return undefined;
}

/** `sr:Request/sr:Body/sr:UpdatePaymentMode`, for messages. */
export function elementPath(el: XmlElement): string {
  const parts: string[] = [];
  for (let e: XmlElement | null = el; e; e = e.parent) parts.push(e.qName);
  return parts.reverse().join('/');
}
