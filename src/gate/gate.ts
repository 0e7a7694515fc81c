// The Service Request gate (docs/gate.md): parse untrusted DUIS, gather facts (certificates, Device,
// SoLR event, GBCS, replay, ADT), decide with the pure rules, and record each decision with its
// effects (replay counter, open transform, ADT count) and audit record in one transaction.
import { createPublicKey, hash, type KeyObject } from 'node:crypto';
import { readCaCertificate } from '../ca/ca-certificates.js';
import { readOrganisationCertificate } from '../ca/organisation-certificate.js';
import type { Catalogue } from '../config/catalogue.js';
import { InputError } from '../domain/errors.js';
import type { Eui64 } from '../domain/eui.js';
import type { Reason } from '../domain/reasons.js';
import { activeAdtThresholds } from '../ra/adt.js';
import { isActive } from '../ra/solr.js';
import { caCertificate, findCertificate, listCertificates, type CertificateRecord } from '../registry/certificates.js';
import { checkDevicesAhead, findDevice, type DeviceRecord } from '../registry/devices.js';
import {
  countAgainstAdt,
  countInWindow,
  findDecisionByDoc,
  findTransform,
  highestCounter,
  insertDecision,
  insertTransform,
  markSignedPreCommand,
  setHighestCounter,
  type DecisionRow,
} from '../registry/gate.js';
import { findUserId, listUserIds } from '../registry/parties.js';
import { listSolrEvents } from '../registry/solr.js';
import { SOLR_CONTINGENCY } from '../domain/roles.js';
import { insertQuarantine, QUARANTINE_ALERT_CODE } from '../registry/quarantine.js';
import type { Registry } from '../registry/registry.js';
import { parseDuisRequest, type DuisRequest, type ParsedDuisRequest } from './duis.js';
import { parseGeneralSigning, verifyGbcsSignature, type GeneralSigningMessage } from './gbcs.js';
import { decide, type DeviceFacts, type GateDecision, type GateFacts } from './rules.js';
import { verifyEnveloped, type VerifyResult } from './xml/dsig.js';

/**
 * What the gate reads from one DUIS document, and how its signatures are checked with a key the gate
 * chose itself. From `parseDuisRequest` here, or from a verification worker (src/gate/verify-pool.ts),
 * which checks the signatures in advance against the certificates it found and answers only for those.
 */
export interface GateInput {
  readonly request: DuisRequest;
  /** X509IssuerName and serial of the signature, as written (not verified). */
  readonly signer: { readonly serialHex: string; readonly issuerName: string };
  /** SHA-256 of the document's bytes, hex, recorded with the decision. */
  readonly docSha256: string;
  /** The enveloped XML signature checked with `cert`'s key (`key()` gives it). */
  verifyXml(cert: CertificateRecord, key: () => KeyObject): VerifyResult;
  /** The General-Signing signature of `message` checked with `cert`'s key. */
  verifyGbcs(message: GeneralSigningMessage, cert: CertificateRecord, key: () => KeyObject): boolean;
}

/** A document parsed here: its signatures are checked on the very `doc` the request was read from. */
export function inlineInput(parsed: ParsedDuisRequest, bytes: Buffer): GateInput {
  return {
    request: parsed.request,
    signer: parsed.signature,
    docSha256: hash('sha256', bytes, 'hex'),
    verifyXml: (_cert, key) => verifyEnveloped(parsed.doc, key(), parsed.signature),
    verifyGbcs: (message, _cert, key) => verifyGbcsSignature(message, key()),
  };
}

export interface GateOutcome {
  file: string;
  decision: 'accept' | 'refuse' | 'quarantine' | 'malformed';
  reasons: Reason[];
  warnings: Reason[];
  requestId?: string;
  commandVariant?: number;
  serviceReferenceVariant?: string;
  solrEvent?: string | null;
  /** For malformed input: the one-line error. */
  error?: string;
  /** False for an evaluation (`sr check --at`) and for malformed input: nothing was written. */
  recorded: boolean;
  /** The time the decision was taken at (the registry's clock, or the --at time of an evaluation). */
  decidedAt?: string;
  /**
   * True when this very document (the same bytes) was decided before, e.g. by an interrupted run of
   * the same batch: the earlier decision is reported (decision, reasons, decidedAt) and nothing is
   * decided or written again.
   */
  alreadyDecided?: boolean;
  /** The recorded decision's number (sr_decisions), for a decision recorded now or before. */
  decisionId?: number;
}

/** Issuer DNs compared as DUIS writes them: RDNs trimmed, attribute types upper-cased. */
export function normaliseDn(dn: string): string {
  return dn
    .split(',')
    .map((p) => {
      const i = p.indexOf('=');
      return i < 0 ? p.trim() : `${p.slice(0, i).trim().toUpperCase()}=${p.slice(i + 1).trim()}`;
    })
    .join(',');
}

function outcome(file: string, r: DuisRequest, d: GateDecision, solrEvent: string | null, recorded: boolean, at: Date): GateOutcome {
  return {
    file,
    decision: d.decision,
    reasons: d.reasons,
    warnings: d.warnings,
    requestId: r.requestId.text,
    commandVariant: r.commandVariant,
    serviceReferenceVariant: r.serviceReferenceVariant,
    solrEvent,
    recorded,
    decidedAt: at.toISOString(),
  };
}

/** Documents checkGroup reads ahead of deciding them (a parsed document holds its whole tree). */
const READ_AHEAD = 64;

export class ServiceRequestGate {
  private readonly keys = new Map<string, KeyObject>();
  private readonly issuerName: string;

  constructor(
    private readonly reg: Registry,
    private readonly catalogue: Catalogue,
  ) {
    const issuing = caCertificate(reg, 'issuing');
    this.issuerName = issuing ? normaliseDn(readCaCertificate(issuing.der).subjectText) : '';
  }

  private publicKey(c: CertificateRecord): KeyObject {
    let k = this.keys.get(c.serial);
    if (!k) {
      k = createPublicKey({ key: readOrganisationCertificate(c.der).spkiDer, format: 'der', type: 'spki' });
      this.keys.set(c.serial, k);
    }
    return k;
  }

  private readonly partyScopes = new Map<number, { stamp: string; ids: string[] }>();
  /** The last issuer name asked about and its answer (a batch's requests name one issuer, written alike). */
  private lastIssuer: { name: string; thisCa: boolean } | undefined;

  /** The signature's X509IssuerName, normalised, is this CA's Issuing OCA. */
  private isThisCa(issuerName: string): boolean {
    if (this.lastIssuer?.name !== issuerName) this.lastIssuer = { name: issuerName, thisCa: normaliseDn(issuerName) === this.issuerName };
    return this.lastIssuer.thisCa;
  }
  /** The Devices checkGroup read ahead for the chunk it is deciding (inside its transaction only). */
  private devicesAhead: ReadonlyMap<string, DeviceRecord> | undefined;

  /**
   * ADT scope is the Party: every SoLRContingency User ID of it counts against the same window. Kept
   * only while no User ID can have changed (Registry.userIdsStamp; per transaction on PostgreSQL): a
   * User ID added to the Party, by this process or another, counts from the next request on.
   */
  private solrUserIdsOfParty(partyId: number): string[] {
    const read = () => listUserIds(this.reg, partyId).filter((u) => u.roles.includes(SOLR_CONTINGENCY)).map((u) => u.eui);
    const stamp = this.reg.userIdsStamp();
    if (stamp === undefined) return this.reg.readOnce(`gate:party-solr:${partyId}`, read);
    const kept = this.partyScopes.get(partyId);
    if (kept?.stamp === stamp) return kept.ids;
    const ids = read();
    this.partyScopes.set(partyId, { stamp, ids });
    return ids;
  }

  /** Steps 1-3 (no registry writes): parse, look up, verify, classify. */
  gather(input: GateInput, at: Date): GateFacts {
    const reg = this.reg;
    const request = input.request;
    const { originator, target } = request.requestId;
    // Facts the gate's own writes never change are read once per transaction (a batch of decisions).
    const once = <T>(key: string, read: () => T): T => reg.readOnce(`gate:${key}`, read);
    const sender = once(`user:${originator}`, () => findUserId(reg, originator));
    const senderRole = sender ? this.catalogue.roles.get(sender.role) : undefined;
    const signingCert = once(`cert:${input.signer.serialHex}`, () => findCertificate(reg, input.signer.serialHex));
    const issuerIsThisCa = this.isThisCa(input.signer.issuerName);
    const xmlSignature = signingCert && issuerIsThisCa && signingCert.source === 'issued'
      ? input.verifyXml(signingCert, () => this.publicKey(signingCert))
      : undefined;
    // Read and checked ahead with the group's other Devices (checkGroup), or looked up now.
    const d = this.devicesAhead?.get(target) ?? findDevice(reg, target);
    const device: DeviceFacts | undefined = d ? { eui: d.eui, deviceType: d.deviceType, smets: d.smets, supplierEui: d.supplierEui } : undefined;
    const event = device && sender
      ? once(`events:${originator}:${device.supplierEui}`, () => listSolrEvents(reg, { srp: originator, supplier: device.supplierEui })).find((e) => isActive(e, at))
      : undefined;
    const senderActiveEvents = sender ? once(`events:${originator}`, () => listSolrEvents(reg, { srp: originator })).filter((e) => isActive(e, at)) : [];

    let gbcs: GateFacts['gbcs'];
    if (request.body.kind === 'SignedPreCommand') {
      gbcs = { dsCertificates: 0 };
      try {
        const message = parseGeneralSigning(request.body.gbcsPayload);
        gbcs.message = message;
        // The key the meter trusts: the failed Supplier's Digital Signing certificate(s), revoked or not.
        const supplier = (event?.failedSupplier ?? message.originator) as Eui64;
        const ds = once(`ds:${supplier}`, () => listCertificates(reg, { userIds: [supplier] }).filter((c) => c.keyUsage === 'digitalSignature' && c.roleOu !== '87'));
        gbcs.dsCertificates = ds.length;
        gbcs.signatureVerified = message.signatureForm === 'present' && ds.some((c) => input.verifyGbcs(message, c, () => this.publicKey(c)));
      } catch (e) {
        gbcs.error = e instanceof Error ? e.message : String(e);
      }
    }

    const srv = request.serviceReferenceVariant;
    let adt: GateFacts['adt'];
    if (sender && device) {
      const t = once(`adt:${sender.partyId}:${device.supplierEui}:${srv}`, () => activeAdtThresholds(reg, { partyId: sender.partyId, supplierEui: device.supplierEui, srv }));
      if (t) {
        const since = new Date(at.getTime() - t.windowHours * 3600_000);
        const countBefore = countInWindow(reg, this.solrUserIdsOfParty(sender.partyId), device.supplierEui, srv, since, at);
        adt = { adtId: t.adtId, warning: t.warning, quarantine: t.quarantine, windowHours: t.windowHours, countBefore };
      }
    }
    return {
      at,
      request,
      sender,
      senderRole,
      serviceRequest: this.catalogue.serviceRequests.get(srv),
      signingCert,
      issuerIsThisCa,
      xmlSignature,
      device,
      event,
      senderActiveEvents,
      gbcs,
      highestCounter: highestCounter(reg, originator),
      transform: findTransform(reg, request.requestId.text) ?? undefined,
      adt,
    };
  }

  private parse(file: string, bytes: Buffer): ParsedDuisRequest | GateOutcome {
    try {
      return parseDuisRequest(bytes);
    } catch (e) {
      if (e instanceof InputError) return { file, decision: 'malformed', reasons: [], warnings: [], error: e.message.split('\n')[0], recorded: false };
      throw e;
    }
  }

  /**
   * Decides one DUIS document as of `at` without recording anything (`sr check --at`): no decision row,
   * no replay counter, transform or ADT count, no audit record. Time chosen by the caller never changes
   * the registry.
   */
  evaluate(file: string, bytes: Buffer, at: Date): GateOutcome {
    const parsed = this.parse(file, bytes);
    if (!('request' in parsed)) return parsed;
    const facts = this.gather(inlineInput(parsed, bytes), at);
    return outcome(file, parsed.request, decide(facts), facts.event?.id ?? null, false, at);
  }

  /** Checks one DUIS document at the registry's time and records the decision. Malformed input is reported, not recorded. */
  check(file: string, bytes: Buffer, actor: string): GateOutcome {
    const input = this.read(file, bytes);
    return 'decision' in input ? input : this.checkInput(file, input, actor);
  }

  /** One document read here for checkGroup: its input, or its malformed outcome. */
  read(file: string, bytes: Buffer): GateInput | GateOutcome {
    const parsed = this.parse(file, bytes);
    return 'request' in parsed ? inlineInput(parsed, bytes) : parsed;
  }

  /**
   * checkInput for each document of a group, in order, in one transaction (one durable commit; a
   * failure rolls the whole group back). `read` gives a document's input, or its outcome when it is
   * malformed or unreadable (passed through). Documents are read READ_AHEAD at a time and their Devices
   * read together, so the Devices' integrity checks take one query for many instead of one each, while
   * no more than READ_AHEAD parsed documents are held at once.
   */
  checkGroup(items: readonly { file: string; read: () => GateInput | GateOutcome }[], actor: string): GateOutcome[] {
    return this.reg.tx(() => {
      const out: GateOutcome[] = [];
      for (let i = 0; i < items.length; i += READ_AHEAD) {
        const ahead = items.slice(i, i + READ_AHEAD).map((it) => ({ file: it.file, input: it.read() }));
        // The gate never writes Devices: those read here stand for findDevice's answer until the chunk is decided.
        this.devicesAhead = checkDevicesAhead(this.reg, ahead.flatMap((it) => ('decision' in it.input ? [] : [it.input.request.requestId.target])));
        try {
          for (const it of ahead) out.push('decision' in it.input ? it.input : this.checkInput(it.file, it.input, actor));
        } finally {
          this.devicesAhead = undefined;
        }
      }
      return out;
    });
  }

  /**
   * Decides one document already read (here or by a verification worker) at the registry's time and
   * records the decision: every decision of every worker is taken here, one after another, inside the
   * registry's transaction, so no replay counter or ADT window can be passed by two at once.
   */
  checkInput(file: string, input: GateInput, actor: string): GateOutcome {
    const reg = this.reg;
    const r = input.request;
    const docSha256 = input.docSha256;
    return reg.tx(() => {
      // This very document decided before (an interrupted batch run again): its decision, not a replay.
      const earlier = findDecisionByDoc(reg, docSha256);
      if (earlier) return alreadyDecided(file, earlier);
      // Gathered inside the transaction so replay and ADT counts see every earlier decision.
      const at = reg.now();
      const facts = this.gather(input, at);
      const d = decide(facts);
      const eventId = facts.event?.id ?? null;
      const decisionId = insertDecision(reg, {
        decidedAt: at.toISOString(),
        source: file,
        requestId: r.requestId.text,
        originator: r.requestId.originator,
        target: r.requestId.target,
        counter: r.requestId.counter.toString(),
        commandVariant: r.commandVariant,
        serviceReferenceVariant: r.serviceReferenceVariant,
        deviceType: facts.device?.deviceType ?? null,
        supplierEui: facts.device?.supplierEui ?? null,
        solrEventId: eventId,
        decision: d.decision,
        reasons: d.reasons,
        warnings: d.warnings,
        docSha256,
      });
      if (d.decision === 'quarantine') {
        // The AD1-style record kept for the SRP until an ARO releases or deletes it (sr quarantine).
        insertQuarantine(reg, {
          id: reg.nextId('QUA'),
          decisionId,
          alertCode: QUARANTINE_ALERT_CODE,
          requestId: r.requestId.text,
          originator: r.requestId.originator,
          target: r.requestId.target,
          counter: r.requestId.counter,
          commandVariant: r.commandVariant,
          serviceReferenceVariant: r.serviceReferenceVariant,
          supplierEui: facts.device?.supplierEui ?? null,
          solrEventId: eventId,
          source: file,
          docSha256,
          detail: d.reasons.map((x) => x.detail ?? x.code).join('; '),
          quarantinedAt: at.toISOString(),
        });
      }
      if (d.decision === 'accept') {
        if ([5, 6, 7].includes(r.commandVariant)) markSignedPreCommand(reg, r.requestId.text, at);
        else {
          setHighestCounter(reg, r.requestId.originator, r.requestId.counter);
          if (r.commandVariant === 4) insertTransform(reg, r.requestId.text, r.requestId.originator, at);
          if (facts.device) countAgainstAdt(reg, r.requestId.originator, facts.device.supplierEui, r.serviceReferenceVariant, at);
        }
      }
      reg.audit.append(at, actor, `sr.${d.decision}`, r.requestId.text, {
        file,
        cv: r.commandVariant,
        srv: r.serviceReferenceVariant,
        solrEvent: eventId,
        reasons: d.reasons.map((x) => x.code),
        warnings: d.warnings.map((x) => x.code),
      });
      const o = outcome(file, r, d, eventId, true, at);
      o.decisionId = decisionId;
      return o;
    });
  }
}

function alreadyDecided(file: string, d: DecisionRow & { id: number }): GateOutcome {
  return {
    file,
    decision: d.decision,
    reasons: d.reasons as Reason[],
    warnings: d.warnings as Reason[],
    ...(d.requestId !== null ? { requestId: d.requestId } : {}),
    ...(d.commandVariant !== null ? { commandVariant: d.commandVariant } : {}),
    ...(d.serviceReferenceVariant !== null ? { serviceReferenceVariant: d.serviceReferenceVariant } : {}),
    solrEvent: d.solrEventId,
    recorded: false,
    decidedAt: d.decidedAt,
    alreadyDecided: true,
    decisionId: d.id,
  };
}
