// A DUIS alert as the DCC sends it (DUIS 5.4 sr:Response): a DeviceAlertMessage (AlertCode, GBCS
// payload) or a DCCAlertMessage (DCCAlertCode such as AD1 or N1-N65, N999, and its DCCAlert), with
// the ResponseID `originator:addressee:counter` and the DSP's enveloped XML signature. Read with the
// project's hardened XML parser; anything else is an InputError (the caller holds the alert).
import type { Eui64 } from '../domain/eui.js';
import { InputError } from '../domain/errors.js';
import { SR_NS, elementsOnly, isSr, parseRequestId, simpleText, type DuisRequestId } from '../gate/duis.js';
import { DSIG_NS } from '../gate/xml/dsig.js';
import { childElements, parseXml, type XmlDocument, type XmlElement } from '../gate/xml/parse.js';

export interface DuisAlert {
  doc: XmlDocument;
  kind: 'device' | 'dcc';
  /** ResponseID: originator (the Device, or the DCC) : addressee (the User ID the alert is for) : counter. */
  responseId: DuisRequestId;
  addressee: Eui64;
  /** The Device the alert is about, where the alert names one. */
  device: Eui64 | undefined;
  /** Device alert code in upper-case hex (e.g. 8F66), or the DCC Alert code (e.g. AD1). */
  code: string;
  /** For a DCC alert: the DCCAlert's choice, e.g. QuarantinedRequest. */
  dccAlert?: string;
  /** For AD1 QuarantinedRequest: the quarantined request's RequestID and the DCC's reference. */
  quarantined?: { requestId: DuisRequestId; eventRef: string };
}

const DCC_ALERT_CODE = /^(AD1|N[1-9][0-9]{0,2})$/;

function refuse(message: string): never {
  throw new InputError(`DUIS alert: ${message}`);
}

function child(el: XmlElement, name: string): XmlElement {
  const c = elementsOnly(el).find((e) => isSr(e, name));
  if (!c) refuse(`sr:${el.localName} has no sr:${name}`);
  return c;
}

/** The first descendant whose name ends in DeviceID and holds an EUI-64 (DCC alerts name their Device so). */
function namedDevice(el: XmlElement): Eui64 | undefined {
  for (const c of childElements(el)) {
    if (/DeviceID$/i.test(c.localName) && childElements(c).length === 0) {
      const t = simpleText(c);
      if (/^[0-9A-Fa-f]{2}(-?[0-9A-Fa-f]{2}){7}$/.test(t)) return t.replace(/-/g, '').toUpperCase() as Eui64;
    }
    const d = namedDevice(c);
    if (d) return d;
  }
  return undefined;
}

export function parseDuisAlert(bytes: Buffer | string): DuisAlert {
  const doc = parseXml(bytes);
  const root = doc.root;
  if (!isSr(root, 'Response')) refuse(`the root element is ${doc.root.qName}, not sr:Response`);
  const top = elementsOnly(root);
  if (top.length !== 3 || !isSr(top[0], 'Header') || !isSr(top[1], 'Body') || top[2]!.namespaceURI !== DSIG_NS || top[2]!.localName !== 'Signature') {
    refuse('sr:Response must contain exactly sr:Header, sr:Body, ds:Signature (an alert is signed by the DSP)');
  }
  const [header, body] = top as [XmlElement, XmlElement];
  const responseIdEl = elementsOnly(header).find((e) => isSr(e, 'ResponseID'));
  if (!responseIdEl) refuse('sr:Header has no sr:ResponseID (originator:addressee:counter)');
  const responseId = parseRequestId(responseIdEl);
  const messages = elementsOnly(body);
  if (messages.length !== 1 || messages[0]!.namespaceURI !== SR_NS) refuse('sr:Body must hold one sr: element');
  const message = messages[0]!;
  if (message.localName === 'DeviceAlertMessage') {
    const code = simpleText(child(message, 'AlertCode')).toUpperCase();
    if (!/^([0-9A-F]{2}){1,4}$/.test(code)) refuse(`sr:AlertCode '${code.slice(0, 20)}' is not hexBinary`);
    child(message, 'GBCSPayload');
    return { doc, kind: 'device', responseId, addressee: responseId.target, device: responseId.originator, code };
  }
  if (message.localName === 'DCCAlertMessage') {
    const code = simpleText(child(message, 'DCCAlertCode'));
    if (!DCC_ALERT_CODE.test(code)) refuse(`sr:DCCAlertCode '${code.slice(0, 20)}' is not a DCC Alert code (AD1, N1 ... N999)`);
    const alert = elementsOnly(child(message, 'DCCAlert'));
    if (alert.length !== 1 || alert[0]!.namespaceURI !== SR_NS) refuse('sr:DCCAlert must hold one sr: element');
    const dccAlert = alert[0]!;
    let quarantined: DuisAlert['quarantined'];
    let device = namedDevice(dccAlert);
    if (dccAlert.localName === 'QuarantinedRequest') {
      const breach = elementsOnly(dccAlert)[0];
      if (!breach) refuse('sr:QuarantinedRequest names no breach');
      quarantined = { requestId: parseRequestId(child(breach, 'RequestID')), eventRef: simpleText(child(breach, 'QuarantineEventRef')) };
      device = quarantined.requestId.target;
    }
    return { doc, kind: 'dcc', responseId, addressee: responseId.target, device, code, dccAlert: dccAlert.localName, ...(quarantined ? { quarantined } : {}) };
  }
  refuse(`sr:${message.localName} is not an alert (DeviceAlertMessage or DCCAlertMessage)`);
}
