// Writing DUIS requests for SRPs, tests and the demo: RequestIDs, a Signed Pre-Command request, and
// the public 1.6 templates re-addressed to another originator/target/counter. Output is unsigned;
// `smki sr sign` (signEnveloped) signs it.
import { InputError } from '../domain/errors.js';
import { formatEuiDashed, type Eui64 } from '../domain/eui.js';
import { SR_NS } from './duis.js';

export function formatRequestId(originator: Eui64, target: Eui64, counter: bigint): string {
  return `${formatEuiDashed(originator)}:${formatEuiDashed(target)}:${counter}`;
}

const REQUEST_ID = /<((?:[A-Za-z_][\w.-]*:)?)RequestID>[^<]*<\/\1RequestID>/;

/** The same request with another RequestID (the template's own text, first RequestID element). */
export function withRequestId(xml: string, requestId: string): string {
  if (!REQUEST_ID.test(xml)) throw new InputError('DUIS template: no RequestID element');
  return xml.replace(REQUEST_ID, (_m, prefix: string) => `<${prefix}RequestID>${requestId}</${prefix}RequestID>`);
}

/** The CommandVariant replaced (CV 4 template to, say, a CV 5 request). */
export function withCommandVariant(xml: string, cv: number): string {
  return xml.replace(/<((?:[A-Za-z_][\w.-]*:)?)CommandVariant>\s*\d+\s*<\/\1CommandVariant>/, (_m, p: string) => `<${p}CommandVariant>${cv}</${p}CommandVariant>`);
}

/** The ServiceReference and ServiceReferenceVariant replaced (a 1.6 template as, say, SR 1.1 variant 1.1.1). */
export function withServiceReference(xml: string, serviceReference: string, variant: string): string {
  return xml
    .replace(/<((?:[A-Za-z_][\w.-]*:)?)ServiceReference>[^<]*<\/\1ServiceReference>/, (_m, p: string) => `<${p}ServiceReference>${serviceReference}</${p}ServiceReference>`)
    .replace(/<((?:[A-Za-z_][\w.-]*:)?)ServiceReferenceVariant>[^<]*<\/\1ServiceReferenceVariant>/, (_m, p: string) => `<${p}ServiceReferenceVariant>${variant}</${p}ServiceReferenceVariant>`);
}

function requestXml(o: { requestId: string; commandVariant: number; serviceReference: string; serviceReferenceVariant: string; schemaVersion?: string; body: string }): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<sr:Request xmlns:sr="${SR_NS}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" schemaVersion="${o.schemaVersion ?? '5.4'}">`,
    '<sr:Header>',
    `<sr:RequestID>${o.requestId}</sr:RequestID>`,
    `<sr:CommandVariant>${o.commandVariant}</sr:CommandVariant>`,
    `<sr:ServiceReference>${o.serviceReference}</sr:ServiceReference>`,
    `<sr:ServiceReferenceVariant>${o.serviceReferenceVariant}</sr:ServiceReferenceVariant>`,
    '</sr:Header>',
    `<sr:Body>${o.body}</sr:Body>`,
    '</sr:Request>',
    '',
  ].join('\n');
}

/** SR 1.6 Update Payment Mode to Credit (CommandVariant 4: DCC returns the Pre-Command), as DCC's templates shape it. */
export function creditPaymentModeRequest(o: { requestId: string; executionDateTime?: string; schemaVersion?: string }): string {
  const exec = o.executionDateTime ? `<sr:ExecutionDateTime>${o.executionDateTime}</sr:ExecutionDateTime>` : '';
  return requestXml({ ...o, commandVariant: 4, serviceReference: '1.6', serviceReferenceVariant: '1.6', body: `<sr:UpdatePaymentMode>${exec}<sr:Credit/></sr:UpdatePaymentMode>` });
}

/** SR 2.5 Activate Emergency Credit (CommandVariant 4), as DCC's template shapes it. */
export function activateEmergencyCreditRequest(o: { requestId: string; schemaVersion?: string }): string {
  return requestXml({ ...o, commandVariant: 4, serviceReference: '2.5', serviceReferenceVariant: '2.5', body: '<sr:ActivateEmergencyCredit/>' });
}

/** A Signed Pre-Command request (CommandVariant 5, 6 or 7), as DUIS 5.4 shapes it. */
export function signedPreCommandRequest(o: {
  requestId: string;
  commandVariant: 5 | 6 | 7;
  gbcsPayload: Buffer;
  serviceReference?: string;
  serviceReferenceVariant?: string;
  schemaVersion?: string;
  executionDateTime?: string;
}): string {
  const exec = o.executionDateTime ? `<sr:ExecutionDateTime>${o.executionDateTime}</sr:ExecutionDateTime>` : '';
  return requestXml({
    requestId: o.requestId,
    commandVariant: o.commandVariant,
    serviceReference: o.serviceReference ?? '1.6',
    serviceReferenceVariant: o.serviceReferenceVariant ?? '1.6',
    ...(o.schemaVersion ? { schemaVersion: o.schemaVersion } : {}),
    body: `<sr:SignedPreCommand>${exec}<sr:GBCSPayload>${o.gbcsPayload.toString('base64')}</sr:GBCSPayload></sr:SignedPreCommand>`,
  });
}
