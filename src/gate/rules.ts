// The Service Request gate's rules (MP134B requirements 3, 5 and 6): pure functions over facts the
// gate gathered beforehand, each returning the reasons it refuses for. docs/gate.md lists them in order.
// Fail closed: each rule checks the facts it needs itself and refuses with its own reason when one is
// missing or was not established; none relies on another rule refusing first.
import type { RoleEntry, ServiceRequestEntry } from '../config/catalogue.js';
import type { Eui64 } from '../domain/eui.js';
import { reason, type Reason } from '../domain/reasons.js';
import { SOLR_CONTINGENCY, userRoleName } from '../domain/roles.js';
import type { CertificateRecord } from '../registry/certificates.js';
import type { UserIdRecord } from '../registry/parties.js';
import type { SolrEventRecord } from '../registry/solr.js';
import type { DuisRequest } from './duis.js';
import { isActive } from '../ra/solr.js';
import { checkContent } from './content-rules.js';
import type { GeneralSigningMessage } from './gbcs.js';

export interface DeviceFacts {
  eui: Eui64;
  deviceType: string;
  smets: number;
  supplierEui: Eui64;
}

export interface GateFacts {
  at: Date;
  request: DuisRequest;
  sender: UserIdRecord | undefined;
  senderRole: RoleEntry | undefined;
  serviceRequest: ServiceRequestEntry | undefined;
  /** The certificate named by the signature's issuer and serial, if this CA knows it. */
  signingCert: CertificateRecord | undefined;
  /** The issuer name in the signature is this CA's Issuing OCA. */
  issuerIsThisCa: boolean;
  /** Result of verifying the XML signature with signingCert's key (undefined: not attempted). */
  xmlSignature: { ok: true } | { ok: false; why: string } | undefined;
  device: DeviceFacts | undefined;
  /** The active event for this sender and the Device's Supplier. */
  event: SolrEventRecord | undefined;
  /** Every active event of the sender (to tell "no event" from "not the failed Supplier's Device"). */
  senderActiveEvents: SolrEventRecord[];
  /** For a Signed Pre-Command: the parsed GBCS message or the parse error, and its signature check. */
  gbcs?: { message?: GeneralSigningMessage; error?: string; signatureVerified?: boolean; dsCertificates: number };
  highestCounter: bigint | undefined;
  transform: { signedPreCommandAt: string | null } | undefined;
  adt: { adtId: string; warning: number; quarantine: number; windowHours: number; countBefore: number } | undefined;
}

export interface GateRule {
  name: string;
  check(f: GateFacts): Reason[];
}

const SIGNED_PRE_COMMAND_CVS = [5, 6, 7];
const isSignedPreCommandCv = (cv: number) => SIGNED_PRE_COMMAND_CVS.includes(cv);

const sender: GateRule = {
  name: 'sender is a SoLRContingency User ID',
  check: (f) => {
    if (!f.sender) return [reason('SENDER_UNKNOWN', f.request.requestId.originator)];
    if (f.sender.role !== SOLR_CONTINGENCY) return [reason('SENDER_NOT_SOLR_CONTINGENCY', `${f.sender.eui} is ${userRoleName(f.sender.role)}`)];
    return [];
  },
};

const signingCertificate: GateRule = {
  name: 'signed with a current xml-sign certificate of the originator, issued by this CA',
  check: (f) => {
    const c = f.signingCert;
    if (!c || !f.issuerIsThisCa || c.source !== 'issued') return [reason('SIGNING_CERT_UNKNOWN')];
    const reasons: Reason[] = [];
    if (c.userId !== f.request.requestId.originator) reasons.push(reason('SIGNING_CERT_NOT_ORIGINATOR', `certificate of ${c.userId}`));
    if (c.profile !== 'xml-sign' || c.roleOu !== '87' || c.keyUsage !== 'digitalSignature') reasons.push(reason('SIGNING_CERT_NOT_XML_SIGN', `${c.profile}, OU ${c.roleOu}`));
    if (c.status !== 'valid') reasons.push(reason('SIGNING_CERT_REVOKED', `${c.status} ${c.revokedAt} (${c.revocationReason})`));
    const t = f.at.getTime();
    if (!(t >= Date.parse(c.notBefore) && t <= Date.parse(c.notAfter))) reasons.push(reason('SIGNING_CERT_EXPIRED', `${c.notBefore} .. ${c.notAfter}`));
    return reasons;
  },
};

const xmlSignature: GateRule = {
  name: 'the XML signature verifies over the whole document',
  check: (f) => {
    if (f.xmlSignature === undefined) return [reason('SIGNATURE_INVALID', 'not verified: no certificate of this CA to verify it with')];
    return f.xmlSignature.ok === true ? [] : [reason('SIGNATURE_INVALID', f.xmlSignature.why)];
  },
};

const eligibility: GateRule = {
  name: 'the Service Request and CommandVariant are eligible for the role',
  check: (f) => {
    const r = f.request;
    const srv = r.serviceReferenceVariant;
    if (!f.senderRole || !f.serviceRequest || !f.senderRole.serviceRequests.includes(srv)) {
      return [reason('SR_NOT_ELIGIBLE', `Service Reference Variant ${srv}`)];
    }
    const reasons: Reason[] = [];
    if (f.serviceRequest.serviceReference !== r.serviceReference) {
      reasons.push(reason('SERVICE_REFERENCE_MISMATCH', `${r.serviceReference} with variant ${srv}`));
    }
    if (!f.serviceRequest.commandVariants.includes(r.commandVariant)) {
      reasons.push(reason('COMMAND_VARIANT_NOT_ALLOWED', `CommandVariant ${r.commandVariant} for ${srv} (allowed ${f.serviceRequest.commandVariants.join(', ')})`));
    }
    const spc = r.body.kind === 'SignedPreCommand';
    if (spc !== isSignedPreCommandCv(r.commandVariant)) {
      reasons.push(reason('BODY_COMMAND_VARIANT_MISMATCH', `${r.body.kind === 'Other' ? r.body.localName : r.body.kind} with CommandVariant ${r.commandVariant}`));
    }
    return reasons;
  },
};

const device: GateRule = {
  name: 'the target Device is registered',
  check: (f) => (f.device ? [] : [reason('DEVICE_UNKNOWN', f.request.requestId.target)]),
};

const solrEvent: GateRule = {
  name: "an approved SoLR event is active for the sender and the Device's Supplier",
  check: (f) => {
    const e = f.event;
    if (e && f.device && f.sender && e.srpUserId === f.sender.eui && e.failedSupplier === f.device.supplierEui && isActive(e, f.at)) return [];
    if (f.senderActiveEvents.length === 0) return [reason('SOLR_EVENT_NOT_ACTIVE', f.at.toISOString())];
    if (!f.device) return [reason('DEVICE_NOT_FAILED_SUPPLIER', `no Device ${f.request.requestId.target} on record`)];
    return [reason('DEVICE_NOT_FAILED_SUPPLIER', `registered to ${f.device.supplierEui}`)];
  },
};

/** Requirements 3 and 5: the body, target and GBCS content are what the SRV's content rule allows. */
const content: GateRule = {
  name: "the request's content is what its Service Reference Variant's content rule allows",
  check: checkContent,
};

const replay: GateRule = {
  name: 'no replay',
  check: (f) => {
    const r = f.request;
    if (isSignedPreCommandCv(r.commandVariant)) {
      if (!f.transform) return [reason('PRECOMMAND_WITHOUT_TRANSFORM', `no accepted CommandVariant 4 request ${r.requestId.text}`)];
      if (f.transform.signedPreCommandAt) return [reason('PRECOMMAND_WITHOUT_TRANSFORM', `its Signed Pre-Command was accepted at ${f.transform.signedPreCommandAt}`)];
      return [];
    }
    if (f.highestCounter !== undefined && r.requestId.counter <= f.highestCounter) {
      return [reason('REPLAY', `counter ${r.requestId.counter} <= ${f.highestCounter}`)];
    }
    return [];
  },
};

const adtOnFile: GateRule = {
  name: "an ADT file covers the Device's Supplier",
  check: (f) =>
    f.adt ? [] : [reason('ADT_MISSING', `Supplier ${f.device?.supplierEui ?? 'unknown (no Device)'}, ${f.request.serviceReferenceVariant}`)],
};

/** The rules in the order docs/gate.md gives them; every applicable reason is collected. */
export const GATE_RULES: readonly GateRule[] = [sender, signingCertificate, xmlSignature, eligibility, device, solrEvent, content, replay, adtOnFile];

/** ADT thresholds: counts the request would make (Signed Pre-Commands complete a counted request). */
export function adtOutcome(f: GateFacts): { warning?: Reason; quarantine?: Reason } {
  if (!f.adt || isSignedPreCommandCv(f.request.commandVariant)) return {};
  const n = f.adt.countBefore + 1;
  const detail = `${n} in ${f.adt.windowHours} h; warning ${f.adt.warning}, quarantine ${f.adt.quarantine} (${f.adt.adtId})`;
  if (n > f.adt.quarantine) return { quarantine: reason('ADT_QUARANTINE', detail) };
  if (n > f.adt.warning) return { warning: reason('ADT_WARNING', detail) };
  return {};
}

export interface GateDecision {
  decision: 'accept' | 'refuse' | 'quarantine';
  reasons: Reason[];
  warnings: Reason[];
}

/** Pure: the decision over gathered facts. */
export function decide(f: GateFacts): GateDecision {
  const reasons: Reason[] = [];
  for (const r of GATE_RULES) for (const x of r.check(f)) reasons.push(x);
  if (reasons.length) return { decision: 'refuse', reasons, warnings: [] };
  const adt = adtOutcome(f);
  if (adt.quarantine) return { decision: 'quarantine', reasons: [adt.quarantine], warnings: [] };
  return { decision: 'accept', reasons: [], warnings: adt.warning ? [adt.warning] : [] };
}
