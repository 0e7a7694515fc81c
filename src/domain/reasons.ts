// Every refusal has a stable code, a one-line message and the MP134B requirement it enforces.
// One catalogue: the CLI prints these, the audit records them, reports count them, tests assert them.

export type Requirement = 'R1' | 'R2' | 'R3' | 'R4' | 'R5' | 'R6' | 'R7' | 'CA' | 'GATE';

/** The seven MP134B business requirements (DESIGN.md), one line each: the report's headings, the demo's legend. */
export const REQUIREMENT_TITLES: Readonly<Record<Exclude<Requirement, 'CA' | 'GATE'>, string>> = {
  R1: 'A new User Role: SoLRContingency',
  R2: 'XML signing certificates only, no keys for Critical Commands',
  R3: 'Only Service Request 1.6 "Update Payment Mode" (the list is configurable)',
  R4: 'SROs, AROs and Anomaly Detection Thresholds for a specific Supplier',
  R5: 'Only a change of Payment Mode to Credit',
  R6: "Only during a Supplier failure, on Ofgem's instruction",
  R7: "Alerts still reach someone after the Supplier's certificates are revoked",
};

export interface Reason {
  code: ReasonCode;
  message: string;
  requirement: Requirement;
  detail?: string;
}

const CATALOGUE = {
  // Issuance (CSR gate, RA policy, signer)
  CSR_SIGNATURE_INVALID: ['R2', 'the CSR signature does not verify (no proof of possession)'],
  CSR_KEY_NOT_P256: ['CA', 'only ECDSA P-256 (prime256v1) public keys are certified'],
  CSR_KEY_INVALID_POINT: ['CA', 'the public key is not a valid P-256 point'],
  CSR_SIGNATURE_ALGORITHM: ['CA', 'the CSR must be signed with ecdsa-with-SHA256'],
  CSR_KEY_REUSED: ['CA', 'this public key is already certified'],
  CSR_EUI_MISMATCH: ['CA', "the CSR subject's Entity Identifier is not the Party's User ID"],
  CSR_EUI_MISSING: ['CA', 'the CSR subject carries no x500UniqueIdentifier (EUI-64): make the CSR with smki csr new --eui USER_ID --profile PROFILE --key-out KEY --out CSR, or give openssl req -subj "/OU=87/x500UniqueIdentifier=USER_ID"'],
  CSR_OU_MISMATCH: ['R2', "the CSR subject's OU is not the Remote Party Role of the profile asked for (xml-sign: 87)"],
  CSR_KEY_USAGE_MISMATCH: ['R2', "the CSR's requested Key Usage is not the profile's single bit"],
  USER_ID_SOLR_CONTINGENCY_ALONE: ['R1', 'a SoLRContingency User ID holds that User Role alone'],
  USER_ID_REMOTE_PARTY_ROLE_DIFFERS: ['CA', "a User ID's roles share one Remote Party Role (its certificates' OU), as IS, ES and GS do"],
  DSP_CERT_NOT_DSP_XML_SIGN: ['R7', "a DSP certificate for alerts must be the DSP's XML-signing certificate (OU 89, digitalSignature alone)"],
  DSP_CERT_UNTRUSTED: ['R7', 'the DSP certificate does not chain to a registered trust anchor (smki ca trust)'],
  ALERT_UNREADABLE: ['R7', 'the file is not a readable DUIS alert (DeviceAlertMessage or DCCAlertMessage); it is held'],
  DSP_CERTIFICATE_UNKNOWN: ['R7', "the alert's signature names no registered DSP xml-sign certificate; it is held"],
  DSP_SIGNATURE_INVALID: ['R7', "the alert's DSP signature does not verify; it is held"],
  SOLR_HANDOVER_NOT_SUPPLIER: ['R7', 'the handover Supplier must be a registered Supplier User ID other than the failed Supplier'],
  PARTY_UNKNOWN: ['CA', 'no User ID with this EUI-64 is registered'],
  ROLE_PROFILE_FORBIDDEN: ['R2', "the User ID's User Role may not hold this certificate profile"],
  SOLR_CONTINGENCY_XML_SIGN_ONLY: ['R2', 'a SoLRContingency User ID may hold XML-signing certificates only, never Digital Signing or Key Agreement'],
  OFFICER_UNKNOWN: ['R4', 'no officer with this ID'],
  OFFICER_NOT_ARO: ['R4', 'the officer is not an Authorised Responsible Officer'],
  OFFICER_NOT_ACTIVE: ['R4', 'the officer is not active'],
  OFFICER_FOREIGN_PARTY: ['R4', 'the officer acts for another Party'],
  SRO_REQUIRED: ['R4', 'an ARO must be nominated by an active SRO of the same Party'],
  EVIDENCE_REQUIRED: ['R4', 'an SRO is registered only with an evidence reference'],
  CERT_ALREADY_REVOKED: ['CA', 'the certificate is already revoked'],
  SIGNER_CONTEXT_MISMATCH: ['CA', "the signer was asked for a role or profile other than the registry's for this User ID"],
  CERT_NOT_CHAINED: ['CA', 'the certificate does not chain to a trust anchor registered for Organisation Certificates (smki ca trust)'],
  CERT_PROFILE_MISMATCH: ["CA", "the certificate's subject OU and key usage fit no certificate profile of the User ID's role"],
  OPERATOR_REQUIRED: ['CA', 'an RA operator must act for this change'],
  // People act with keys (--as, --officer-key)
  OPERATOR_KEY_UNKNOWN: ['CA', 'the --as key is not the key of a registered RA operator'],
  OPERATOR_REVOKED: ['CA', 'the RA operator of the --as key is revoked'],
  OPERATOR_LAST_ACTIVE: ['CA', 'the last active RA operator cannot be revoked'],
  STATEMENT_SIGNATURE_INVALID: ['CA', 'the signed statement does not verify with the registered public key'],
  OFFICER_KEY_UNKNOWN: ['R4', 'the --officer-key key is not the key of a registered SRO or ARO'],
  OFFICER_KEY_MISMATCH: ['R4', '--officer (or --nominated-by) names another officer than the one whose key signed'],
  DUAL_CONTROL_SAME_KEY: ['R6', 'a second person must act: the key that signed an earlier step may not sign this one (dual control)'],
  LINT_FAILED: ['CA', 'the to-be-signed certificate does not match the SMKI Organisation Certificate profile'],
  // SoLR events (R6) and revocation (R7)
  SOLR_SELF_APPROVAL: ['R6', 'the operator who recorded a SoLR event may not approve it (dual control)'],
  SOLR_EVENT_NOT_ACTIVE: ['R6', 'no approved SoLR event is active for this sender and Supplier'],
  SOLR_WINDOW_TOO_LONG: ['R6', 'the SoLR event window is longer than the configured maximum'],
  SOLR_WINDOW_ENDED: ['R6', 'the SoLR event window has already ended'],
  SOLR_WINDOW_TOO_FAR_AHEAD: ['R6', 'the SoLR event starts further ahead than the configured bound'],
  SOLR_SRP_NOT_ACTING_FOR_SUPPLIER: ['R6', "the SRP's SoLRContingency User ID does not act for the failed Supplier"],
  SOLR_EVENT_STATE: ['R6', 'the SoLR event is not in a state that allows this'],
  // ADT (R4)
  ADT_NOT_SOLR_PARTY: ['R4', 'ADT files are submitted for a SoLRContingency Party'],
  ADT_MISSING: ['R4', "no Anomaly Detection Threshold file is on record for the Device's Supplier"],
  ADT_WARNING: ['R4', 'the warning threshold for this Service Reference Variant is exceeded'],
  ADT_QUARANTINE: ['R4', 'the quarantine threshold for this Service Reference Variant is exceeded'],
  ADT_SUPPLIER_UNKNOWN: ['R4', 'the ADT file names a Supplier that is not a registered Supplier User ID (IS, ES or GS)'],
  QUARANTINE_NOT_PENDING: ['R4', 'the quarantined request was already released or deleted'],
  ADT_SUPPLIER_NOT_COVERED: ['R4', "the ADT file's Supplier is not one that a SoLRContingency User ID of the Party acts for"],
  // Device registry (R6: requests reach only Devices registered to the failed Supplier)
  DEVICE_SUPPLIER_UNKNOWN: ['R6', 'the supplier_eui is not a registered Supplier User ID (IS, ES or GS)'],
  DEVICE_FUEL_MISMATCH: ['R6', "the Supplier does not hold the meter's fuel role (an ESME's Supplier is an Import Supplier, a GSME's a Gas Supplier)"],
  // Service Request gate (R3, R5, R6)
  SR_NOT_ELIGIBLE: ['R3', 'the Service Request is not eligible for the sender\'s User Role'],
  COMMAND_VARIANT_NOT_ALLOWED: ['R3', 'the CommandVariant is not allowed for this Service Request'],
  SENDER_NOT_SOLR_CONTINGENCY: ['R6', 'the RequestID originator is not a SoLRContingency User ID'],
  SIGNATURE_INVALID: ['R6', 'the XML signature does not verify'],
  SIGNING_CERT_UNKNOWN: ['R6', 'the signing certificate is not one this CA issued'],
  SIGNING_CERT_NOT_ORIGINATOR: ['R6', 'the signing certificate belongs to another User ID'],
  SIGNING_CERT_REVOKED: ['R6', 'the signing certificate is revoked'],
  SIGNING_CERT_EXPIRED: ['R6', 'the signing certificate is not valid at this time'],
  SIGNING_CERT_NOT_XML_SIGN: ['R6', 'the signing certificate is not an XML-signing certificate'],
  DEVICE_UNKNOWN: ['R6', 'the target Device is not registered'],
  DEVICE_NOT_FAILED_SUPPLIER: ['R6', 'the target Device is not registered to the failed Supplier of an active SoLR event'],
  REPLAY: ['R6', 'the RequestID counter is not above every earlier accepted one from this originator'],
  PRECOMMAND_WITHOUT_TRANSFORM: ['R6', 'a Signed Pre-Command needs an accepted CommandVariant 4 request with the same RequestID and none yet'],
  PAYMENT_MODE_NOT_CREDIT: ['R5', 'only a change of Payment Mode to Credit is accepted'],
  GBCS_MESSAGE_CODE: ['R5', "the Signed Pre-Command's GBCS use case is not one the role may send for this Service Reference Variant (SR 1.6: ECS02 0x001A, GCS02 0x006C)"],
  GBCS_MALFORMED: ['R5', 'the Signed Pre-Command is not a well-formed GBCS General-Signing message'],
  GBCS_HEADER_MISMATCH: ['R5', "the Signed Pre-Command's header does not match the RequestID and failed Supplier"],
  GBCS_SIGNATURE_INVALID: ['R5', "the Signed Pre-Command's GBCS signature does not verify with the failed Supplier's Digital Signing certificate"],
  GBCS_NOT_COMMAND: ['R5', 'the Signed Pre-Command is not a GBCS command (it is a response or alert)'],
  BODY_COMMAND_VARIANT_MISMATCH: ['R3', 'the request body does not fit its CommandVariant (CV 4: the Service Request; CV 5-7: a Signed Pre-Command)'],
  SERVICE_REFERENCE_MISMATCH: ['R3', 'the ServiceReference does not belong to the ServiceReferenceVariant'],
  SENDER_UNKNOWN: ['R6', 'the RequestID originator is not a registered User ID'],
  GBCS_DEVICE_TYPE: ['R5', 'the GBCS use case does not match the Device type'],
  // Per-SRV content rules (src/gate/content-rules.ts)
  SR_NO_CONTENT_RULE: ['R3', 'the gate has no content rule for this Service Reference Variant'],
  BODY_NOT_FOR_SR: ['R3', 'the request body is not the element DUIS defines for this Service Reference Variant'],
  SR_TARGET_DEVICE_TYPE: ['R5', 'GBCS defines this Service Request for other Device types (SR 1.6 and 2.5: ESME and GSME only)'],
  SR_CANCELLATION: ['R5', 'a cancellation of a future-dated change is not itself a change to Credit'],
  EXECUTION_OUTSIDE_EVENT: ['R6', 'the request would execute outside the SoLR event window'],
  GBCS_OTHER_INFORMATION: ['R5', "the Signed Pre-Command's other-information field is not the form GBCS defines for its use case (the message code alone)"],
  GBCS_CONTENT_NOT_USE_CASE: ['R5', "the Signed Pre-Command's content does not do exactly what its use case names"],
} as const satisfies Record<string, readonly [Requirement, string]>;

export type ReasonCode = keyof typeof CATALOGUE;

export function reason(code: ReasonCode, detail?: string): Reason {
  const [requirement, message] = CATALOGUE[code];
  return detail === undefined ? { code, message, requirement } : { code, message, requirement, detail };
}

export function isReasonCode(code: string): code is ReasonCode {
  return Object.prototype.hasOwnProperty.call(CATALOGUE, code);
}

export function formatReason(r: Reason): string {
  return `${r.code} [${r.requirement}]: ${r.message}${r.detail ? ` (${r.detail})` : ''}`;
}

/** Every reason code, in catalogue order (the census test walks them). */
export const REASON_CODES: readonly ReasonCode[] = Object.keys(CATALOGUE) as ReasonCode[];
