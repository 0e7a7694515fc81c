// Canonical XML 1.0 (inclusive) and Exclusive XML Canonicalization 1.0, both without comments, over
// the tree from parse.ts. The tree never holds comments, processing instructions or a DTD, so the
// only node kinds to render are elements, namespace nodes, attributes and text.
//
// Where each is used (XMLDSig as DUIS uses it, see dsig.ts):
//   * inclusive C14N 1.0 of the whole document minus ds:Signature: the Reference digest input
//     (URI="" with only the enveloped transform: XMLDSig's default c14n applies);
//   * exclusive C14N 1.0 of ds:SignedInfo: the input of the ECDSA signature.
//
// Document subsets supported: a whole document or one element subtree (the apex), optionally
// minus one excluded element and its content (the enveloped-signature transform).
import { XML_NS, lookupNamespaceURI, type XmlDocument, type XmlElement } from './parse.js';

export const C14N_10 = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
export const EXC_C14N_10 = 'http://www.w3.org/2001/10/xml-exc-c14n#';

export type C14nMethod = 'inclusive' | 'exclusive';

export interface C14nOptions {
  /** An element left out together with everything in it (the enveloped-signature transform). */
  exclude?: XmlElement;
  /** Exclusive only: the InclusiveNamespaces PrefixList; '#default' names the default namespace. */
  inclusivePrefixes?: readonly string[];
}

/**
 * The canonical form (a string; hash it as UTF-8) of a whole document or of the subtree rooted at an
 * element. For a subtree, inclusive C14N renders every namespace in scope at the apex and the xml:*
 * attributes it inherits from ancestors; exclusive C14N renders only visibly utilised namespaces.
 */
export function canonicalize(node: XmlDocument | XmlElement, method: C14nMethod, options: C14nOptions = {}): string {
  const apex = 'root' in node ? node.root : node;
  const inclusivePrefixes =
    method === 'exclusive' && options.inclusivePrefixes && options.inclusivePrefixes.length > 0
      ? options.inclusivePrefixes.map((p) => (p === '#default' ? '' : p))
      : null;
  const w = new Writer(method === 'exclusive', options.exclude ?? null, inclusivePrefixes);
  w.element(apex, true);
  return w.out;
}

const TEXT_SPECIAL = /[&<>\r]/;
const TEXT_SPECIAL_G = /[&<>\r]/g;
const ATTR_SPECIAL = /[&<"\t\n\r]/;
const ATTR_SPECIAL_G = /[&<"\t\n\r]/g;
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};
const escapeOne = (ch: string): string => ESCAPES[ch]!;

/** Text node escaping of C14N: & < > and CR. */
export function escapeText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL_G, escapeOne) : s;
}

/** Attribute value escaping of C14N: & < " TAB LF CR. */
export function escapeAttribute(s: string): string {
  return ATTR_SPECIAL.test(s) ? s.replace(ATTR_SPECIAL_G, escapeOne) : s;
}

/** Orders strings by Unicode code point (not UTF-16 code unit), as C14N requires. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        // Surrogates (U+10000 and up) sort after U+E000..U+FFFF.
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

interface AttrLike {
  readonly qName: string;
  readonly localName: string;
  readonly namespaceURI: string;
  readonly value: string;
}

function compareAttributes(a: AttrLike, b: AttrLike): number {
  return compareCodePoints(a.namespaceURI, b.namespaceURI) || compareCodePoints(a.localName, b.localName);
}

class Writer {
  out = '';
  /** Namespace declarations rendered by output ancestors, flat [prefix, uri, ...]. */
  private readonly rendered: string[] = [];
  /** The declarations the element being written renders, flat [prefix, uri, ...]: one array for every element (used up before its children are written). */
  private readonly decls: string[] = [];

  constructor(
    private readonly exclusive: boolean,
    private readonly exclude: XmlElement | null,
    private readonly inclusivePrefixes: string[] | null,
  ) {}

  private renderedUri(prefix: string): string | undefined {
    const r = this.rendered;
    for (let i = r.length - 2; i >= 0; i -= 2) if (r[i] === prefix) return r[i + 1];
    return prefix === '' ? '' : undefined;
  }

  /** Adds (prefix, uri) to `decls` if the output ancestors have not rendered that binding yet. */
  private consider(decls: string[], prefix: string, uri: string): void {
    if (prefix === 'xml') return;
    for (let i = 0; i < decls.length; i += 2) if (decls[i] === prefix) return;
    if (this.renderedUri(prefix) !== uri) decls.push(prefix, uri);
  }

  element(el: XmlElement, isApex: boolean): void {
    const decls = this.decls;
    decls.length = 0;
    if (this.exclusive) {
      this.consider(decls, el.prefix, el.namespaceURI);
      for (const a of el.attributes) if (a.prefix !== '') this.consider(decls, a.prefix, a.namespaceURI);
      if (this.inclusivePrefixes) {
        for (const p of this.inclusivePrefixes) {
          const uri = lookupNamespaceURI(el, p);
          if (uri !== undefined) this.consider(decls, p, uri);
        }
      }
    } else if (isApex) {
      // Every namespace in scope at the apex; the nearest declaration of a prefix wins.
      const seen = new Set<string>();
      for (let e: XmlElement | null = el; e; e = e.parent) {
        for (const d of e.namespaces) {
          if (seen.has(d.prefix)) continue;
          seen.add(d.prefix);
          this.consider(decls, d.prefix, d.uri);
        }
      }
    } else {
      for (const d of el.namespaces) this.consider(decls, d.prefix, d.uri);
    }

    let s = '<' + el.qName;
    const mark = this.rendered.length;
    if (decls.length > 0) {
      if (decls.length > 2) {
        const pairs: [string, string][] = [];
        for (let i = 0; i < decls.length; i += 2) pairs.push([decls[i]!, decls[i + 1]!]);
        pairs.sort((a, b) => compareCodePoints(a[0], b[0]));
        for (let i = 0; i < pairs.length; i++) {
          decls[2 * i] = pairs[i]![0];
          decls[2 * i + 1] = pairs[i]![1];
        }
      }
      for (let i = 0; i < decls.length; i += 2) {
        const p = decls[i]!;
        s += (p === '' ? ' xmlns="' : ' xmlns:' + p + '="') + escapeAttribute(decls[i + 1]!) + '"';
        this.rendered.push(p, decls[i + 1]!);
      }
    }

    let attrs: readonly AttrLike[] = el.attributes;
    if (isApex && !this.exclusive && el.parent) attrs = withInheritedXmlAttributes(el);
    if (attrs.length > 1) attrs = [...attrs].sort(compareAttributes);
    for (const a of attrs) s += ' ' + a.qName + '="' + escapeAttribute(a.value) + '"';
    this.out += s + '>';

    for (const c of el.children) {
      if (c.type === 'text') this.out += escapeText(c.value);
      else if (c !== this.exclude) this.element(c, false);
    }
    this.out += '</' + el.qName + '>';
    this.rendered.length = mark;
  }
}

/** C14N 1.0 document subsets: an apex whose parent is left out inherits its ancestors' xml:* attributes. */
function withInheritedXmlAttributes(el: XmlElement): readonly AttrLike[] {
  const attrs: AttrLike[] = [...el.attributes];
  const has = new Set(attrs.filter((a) => a.namespaceURI === XML_NS).map((a) => a.localName));
  for (let e = el.parent; e; e = e.parent) {
    for (const a of e.attributes) {
      if (a.namespaceURI === XML_NS && !has.has(a.localName)) {
        has.add(a.localName);
        attrs.push(a);
      }
    }
  }
  return attrs;
}
