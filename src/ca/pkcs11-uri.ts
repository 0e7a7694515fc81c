// RFC 7512 PKCS#11 URIs: `pkcs11:token=SMKI%20CA;object=smki-issuing-oca;type=private?module-path=/usr/lib/x.so`.
// Pure. A PIN never travels in a URI here (pin-value is refused: URIs end up in argv and shell history);
// pin-source (a file) is accepted.
import { InputError } from '../domain/errors.js';

export interface Pkcs11Uri {
  token?: string;
  object?: string;
  id?: Buffer;
  serial?: string;
  type?: string;
  slotId?: number;
  modulePath?: string;
  pinSource?: string;
}

const PATH_ATTRS = new Set(['token', 'object', 'id', 'serial', 'type', 'manufacturer', 'model', 'library-manufacturer', 'library-description', 'library-version', 'slot-id', 'slot-description', 'slot-manufacturer']);
const QUERY_ATTRS = new Set(['module-path', 'module-name', 'pin-source', 'pin-value']);

export function isPkcs11Uri(text: string | undefined): boolean {
  return typeof text === 'string' && /^pkcs11:/i.test(text.trim());
}

function decode(value: string, what: string): Buffer {
  if (/%(?![0-9A-Fa-f]{2})/.test(value)) throw new InputError(`${what}: bad percent-encoding in '${value}'`);
  const bytes: number[] = [];
  for (let i = 0; i < value.length; ) {
    if (value[i] === '%') {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(value[i]!, 'utf8'));
      i++;
    }
  }
  return Buffer.from(bytes);
}

export function parsePkcs11Uri(text: string, what = 'PKCS#11 URI'): Pkcs11Uri {
  const t = String(text ?? '').trim();
  if (!isPkcs11Uri(t)) throw new InputError(`${what}: '${t}' is not a pkcs11: URI (RFC 7512)`);
  const body = t.slice('pkcs11:'.length);
  const q = body.indexOf('?');
  const path = q >= 0 ? body.slice(0, q) : body;
  const query = q >= 0 ? body.slice(q + 1) : '';
  const out: Pkcs11Uri = {};
  const seen = new Set<string>();
  const take = (part: string, allowed: Set<string>, sep: string) => {
    if (part === '') return;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new InputError(`${what}: '${part}' is not name=value (attributes are separated by '${sep}')`);
    const name = part.slice(0, eq).toLowerCase();
    const value = part.slice(eq + 1);
    if (!allowed.has(name)) throw new InputError(`${what}: unknown attribute '${name}'`);
    if (seen.has(name)) throw new InputError(`${what}: attribute '${name}' given twice`);
    seen.add(name);
    const raw = decode(value, what);
    switch (name) {
      case 'token': out.token = raw.toString('utf8'); break;
      case 'object': out.object = raw.toString('utf8'); break;
      case 'id': out.id = raw; break;
      case 'serial': out.serial = raw.toString('utf8'); break;
      case 'type': out.type = raw.toString('utf8'); break;
      case 'slot-id': {
        const n = Number(raw.toString('utf8'));
        if (!Number.isInteger(n) || n < 0) throw new InputError(`${what}: slot-id must be a decimal number`);
        out.slotId = n;
        break;
      }
      case 'module-path': out.modulePath = raw.toString('utf8'); break;
      case 'pin-source': out.pinSource = raw.toString('utf8').replace(/^file:(\/\/)?/, ''); break;
      case 'pin-value': throw new InputError(`${what}: pin-value is refused (a PIN never goes on the command line); use pin-source=FILE or SMKI_PKCS11_PIN_FILE`);
      default: break; // recognised, not used to select (manufacturer, model, ...)
    }
  };
  for (const part of path.split(';')) take(part, PATH_ATTRS, ';');
  for (const part of query.split('&')) take(part, QUERY_ATTRS, '&');
  if (out.type !== undefined && out.type !== 'private') throw new InputError(`${what}: type=${out.type}; smki signs with type=private objects`);
  if (out.object === undefined && out.id === undefined) throw new InputError(`${what}: name the key with object=LABEL or id=%xx`);
  return out;
}

const UNRESERVED = /[A-Za-z0-9\-._~:[\]@!$'()*+,=&]/;

function encode(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((b) => (b < 0x80 && UNRESERVED.test(String.fromCharCode(b)) && b !== 0x3b ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** The URI recorded in a home for a token key (no PIN, no module: the module path is recorded apart). */
export function formatPkcs11Uri(token: string, object: string): string {
  return `pkcs11:token=${encode(token)};object=${encode(object)};type=private`;
}
