// DUIS Service Request (smki-domain B.1, B.2): strict reading of the envelope the gate accepts.
// parseDuisRequest parses untrusted bytes with the safe XML parser, checks the sr:Request structure
// element by element (no searching: every element is where the schema puts it, once), classifies the
// body and shape-checks the ds:Signature without verifying it. The caller verifies the signature on the
// same `doc` object it reads `request` from (see xml/dsig.ts verifyEnveloped).
import { InputError } from '../domain/errors.js';
import { parseEui64, type Eui64 } from '../domain/eui.js';
import { DSIG_NS, decodeBase64Strict, extractSignature, type XmlSignatureInfo } from './xml/dsig.js';
import { elementChildrenOnly, elementPath, parseXml, registerNamespace, trimXmlWhitespace, type XmlDocument, type XmlElement, type XmlLimits } from './xml/parse.js';

export const SR_NS = 'http://www.dccinterface.co.uk/ServiceUserGateway';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
registerNamespace(SR_NS);
registerNamespace(XSI_NS);

export type CommandVariant = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/** RequestID `businessOriginatorID:businessTargetID:originatorCounter`. */
export interface DuisRequestId {
  readonly originator: Eui64;
  readonly target: Eui64;
  /** uint64 */
  readonly counter: bigint;
  /** As written (surrounding white space removed). */
  readonly text: string;
}

export type DuisBody =
  | { readonly kind: 'UpdatePaymentMode'; readonly mode: 'Credit' | 'Prepayment'; readonly executionDateTime?: string }
  | { readonly kind: 'SignedPreCommand'; readonly gbcsPayload: Buffer; readonly executionDateTime?: string }
  | { readonly kind: 'ActivateEmergencyCredit' }
  | { readonly kind: 'Other'; readonly localName: string };

/** The DUIS body element's name ('SignedPreCommand' for CV 5-7). */
export function bodyElementName(b: DuisBody): string {
  return b.kind === 'Other' ? b.localName : b.kind;
}

export interface DuisRequest {
  readonly schemaVersion: string;
  readonly requestId: DuisRequestId;
  readonly firstInSequence?: boolean;
  readonly precedingServiceRequestId?: DuisRequestId;
  readonly commandVariant: CommandVariant;
  readonly serviceReference: string;
  readonly serviceReferenceVariant: string;
  readonly body: DuisBody;
}

export interface ParsedDuisRequest {
  /** The parsed document: verify the signature on this very object. */
  readonly doc: XmlDocument;
  readonly request: DuisRequest;
  /** The shape-checked, NOT yet verified, signature. */
  readonly signature: XmlSignatureInfo;
}

function refuse(message: string): never {
  throw new InputError(`DUIS: ${message}`);
}

function describe(el: XmlElement): string {
  if (el.namespaceURI === SR_NS) return `sr:${el.localName}`;
  if (el.namespaceURI === DSIG_NS) return `ds:${el.localName}`;
  return el.namespaceURI === '' ? el.localName : `{${el.namespaceURI}}${el.localName}`;
}

/** Element children of `el`; any non-white-space text beside them is refused. */
export const elementsOnly = (el: XmlElement): XmlElement[] => elementChildrenOnly(el, refuse);

function noAttributes(el: XmlElement): void {
  const a = el.attributes[0];
  if (a) refuse(`attribute ${a.qName} is not accepted on ${elementPath(el)}`);
}

export function isSr(el: XmlElement | undefined, localName: string): el is XmlElement {
  return el !== undefined && el.namespaceURI === SR_NS && el.localName === localName;
}

/** Simple content: no attributes, no child elements; XML white space around the value is removed. */
export function simpleText(el: XmlElement): string {
  noAttributes(el);
  let t = '';
  for (const c of el.children) {
    if (c.type === 'element') refuse(`${elementPath(el)} must not contain elements`);
    t += c.value;
  }
  return trimXmlWhitespace(t);
}

/**
 * A sequence reader over an element's children: each `take` consumes the next child if it is the
 * named sr element; `end` refuses anything left over.
 */
class Children {
  private i = 0;
  private readonly kids: XmlElement[];
  constructor(private readonly parent: XmlElement) {
    this.kids = elementsOnly(parent);
  }
  optional(localName: string): XmlElement | undefined {
    const k = this.kids[this.i];
    if (isSr(k, localName)) {
      this.i++;
      return k;
    }
    return undefined;
  }
  required(localName: string): XmlElement {
    const k = this.optional(localName);
    if (!k) {
      const found = this.kids[this.i];
      refuse(`${elementPath(this.parent)} needs sr:${localName} here, found ${found ? describe(found) : 'nothing'}`);
    }
    return k;
  }
  end(): void {
    const k = this.kids[this.i];
    if (k) refuse(`unexpected ${describe(k)} in ${elementPath(this.parent)}`);
  }
}

const DASHED_EUI = '[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}';
const REQUEST_ID = new RegExp(`^(${DASHED_EUI}):(${DASHED_EUI}):([0-9]{1,20})$`);
const UINT64_MAX = (1n << 64n) - 1n;
const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
const SERVICE_REFERENCE = /^[0-9]{1,3}(?:\.[0-9]{1,3}){1,3}$/;
const DATE_TIME = /^-?[0-9]{4,}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?(?:Z|[+-](?:0[0-9]|1[0-4]):[0-5][0-9])?$/;

export function parseRequestId(el: XmlElement): DuisRequestId {
  const text = simpleText(el);
  const m = REQUEST_ID.exec(text);
  if (!m) refuse(`${describe(el)} '${text.slice(0, 80)}' is not EUI-64:EUI-64:counter (dashed EUIs, decimal counter)`);
  const counter = BigInt(m[3]!);
  if (counter > UINT64_MAX) refuse(`${describe(el)} counter is above 2^64-1`);
  return Object.freeze({
    originator: parseEui64(m[1]!, `${describe(el)} originator`),
    target: parseEui64(m[2]!, `${describe(el)} target`),
    counter,
    text,
  });
}

function parseBoolean(el: XmlElement): boolean {
  const t = simpleText(el);
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  refuse(`${describe(el)} '${t.slice(0, 20)}' is not a boolean`);
}

function parseDateTime(el: XmlElement): string {
  const t = simpleText(el);
  if (!DATE_TIME.test(t)) refuse(`${describe(el)} '${t.slice(0, 40)}' is not an xs:dateTime`);
  return t;
}

/**
 * Body readers by DUIS element: each reads its element exactly as the DUIS 5.4 schema defines it. A
 * Service Reference Variant's content rule (content-rules.ts) names the element it takes.
 */
const BODY_READERS: Readonly<Record<string, (el: XmlElement) => DuisBody>> = {
  UpdatePaymentMode: (el) => {
    const c = new Children(el);
    const edt = c.optional('ExecutionDateTime');
    const credit = c.optional('Credit');
    const prepayment = credit ? undefined : c.optional('Prepayment');
    const rest = elementsOnly(el).filter((k) => k !== edt && k !== credit && k !== prepayment);
    if (rest.some((k) => isSr(k, 'Credit') || isSr(k, 'Prepayment')) || (!credit && !prepayment)) {
      refuse('sr:UpdatePaymentMode must contain exactly one of sr:Credit or sr:Prepayment');
    }
    c.end();
    if (credit) {
      noAttributes(credit);
      if (elementsOnly(credit).length > 0) refuse('sr:Credit must be empty');
    } else {
      noAttributes(prepayment!);
      const p = new Children(prepayment!);
      parseBoolean(p.required('SuspendDebtDisabled'));
      parseBoolean(p.required('SuspendDebtEmergency'));
      const th = simpleText(p.required('DisablementThreshold'));
      if (!/^[+-]?[0-9]{1,10}$/.test(th) || Number(th) < -(2 ** 31) || Number(th) > 2 ** 31 - 1) refuse(`sr:DisablementThreshold '${th.slice(0, 20)}' is not an xs:int`);
      p.end();
    }
    const mode = credit ? 'Credit' : 'Prepayment';
    return Object.freeze(edt ? { kind: 'UpdatePaymentMode', mode, executionDateTime: parseDateTime(edt) } : { kind: 'UpdatePaymentMode', mode });
  },
  SignedPreCommand: (el) => {
    const c = new Children(el);
    const edt = c.optional('ExecutionDateTime');
    const payloadEl = c.required('GBCSPayload');
    c.end();
    const gbcsPayload = decodeBase64Strict(simpleText(payloadEl), 'DUIS: sr:GBCSPayload');
    return Object.freeze(edt ? { kind: 'SignedPreCommand', gbcsPayload, executionDateTime: parseDateTime(edt) } : { kind: 'SignedPreCommand', gbcsPayload });
  },
  // sr:ActivateEmergencyCredit is an empty complexType (SR 2.5).
  ActivateEmergencyCredit: (el) => {
    if (el.children.some((c) => c.type === 'element' || trimXmlWhitespace(c.value) !== '')) refuse('sr:ActivateEmergencyCredit must be empty');
    return Object.freeze({ kind: 'ActivateEmergencyCredit' });
  },
};

function parseBody(body: XmlElement): DuisBody {
  noAttributes(body);
  const kids = elementsOnly(body);
  if (kids.length !== 1) refuse(`sr:Body must contain exactly one element, found ${kids.length}`);
  const el = kids[0]!;
  if (el.namespaceURI !== SR_NS) refuse(`sr:Body holds ${describe(el)}, not a Service Request element`);
  noAttributes(el);
  const reader = Object.prototype.hasOwnProperty.call(BODY_READERS, el.localName) ? BODY_READERS[el.localName] : undefined;
  if (reader) return reader(el);
  return Object.freeze({ kind: 'Other', localName: el.localName });
}

/**
 * Parses and structurally checks a signed DUIS Service Request. Throws InputError (one line) for
 * anything malformed: XML outside the safe subset or over `limits`, a root other than sr:Request,
 * missing, repeated, misplaced or unknown elements, a Body without exactly one Service Request
 * element, an UpdatePaymentMode without exactly one of Credit/Prepayment, or a missing or
 * malformed ds:Signature. The signature is NOT verified here.
 */
export function parseDuisRequest(bytes: Buffer | string, limits?: XmlLimits): ParsedDuisRequest {
  const doc = parseXml(bytes, limits);
  const root = doc.root;
  if (!isSr(root, 'Request')) refuse(`the root element is ${describe(root)}, not sr:Request`);
  let schemaVersion: string | undefined;
  for (const a of root.attributes) {
    if (a.namespaceURI === '' && a.localName === 'schemaVersion') schemaVersion = trimXmlWhitespace(a.value);
    else if (!(a.namespaceURI === XSI_NS && a.localName === 'schemaLocation')) refuse(`attribute ${a.qName} is not accepted on sr:Request`);
  }
  if (schemaVersion === undefined) refuse('sr:Request has no schemaVersion');
  if (!DECIMAL.test(schemaVersion)) refuse(`schemaVersion '${schemaVersion.slice(0, 20)}' is not a decimal`);

  const top = elementsOnly(root);
  const names = top.map(describe);
  if (top.length !== 3 || !isSr(top[0], 'Header') || !isSr(top[1], 'Body') || top[2]!.namespaceURI !== DSIG_NS || top[2]!.localName !== 'Signature') {
    refuse(`sr:Request must contain exactly sr:Header, sr:Body, ds:Signature; found ${names.join(', ') || 'nothing'}`);
  }
  const [header, body] = top as [XmlElement, XmlElement, XmlElement];

  noAttributes(header);
  const h = new Children(header);
  const requestId = parseRequestId(h.required('RequestID'));
  const fis = h.optional('FirstInSequence');
  const psr = h.optional('PrecedingServiceRequestID');
  const cvText = simpleText(h.required('CommandVariant'));
  const serviceReference = simpleText(h.required('ServiceReference'));
  const serviceReferenceVariant = simpleText(h.required('ServiceReferenceVariant'));
  h.end();
  if (!/^[1-9]$/.test(cvText)) refuse(`sr:CommandVariant '${cvText.slice(0, 20)}' is not 1-9`);
  if (!SERVICE_REFERENCE.test(serviceReference)) refuse(`sr:ServiceReference '${serviceReference.slice(0, 20)}' is malformed`);
  if (!SERVICE_REFERENCE.test(serviceReferenceVariant)) refuse(`sr:ServiceReferenceVariant '${serviceReferenceVariant.slice(0, 20)}' is malformed`);

  const request: DuisRequest = Object.freeze({
    schemaVersion,
    requestId,
    ...(fis ? { firstInSequence: parseBoolean(fis) } : {}),
    ...(psr ? { precedingServiceRequestId: parseRequestId(psr) } : {}),
    commandVariant: Number(cvText) as CommandVariant,
    serviceReference,
    serviceReferenceVariant,
    body: parseBody(body),
  });
  const signature = extractSignature(doc);
  return Object.freeze({ doc, request, signature });
}
