// The Service Reference Variants the gate has a content rule for. Kept apart from content-rules.ts so
// that loading the catalogue (every command) does not load the gate's XML and GBCS readers (start-up
// time); content-rules.ts refuses to load if its rules and this list ever differ.
export const CONTENT_RULE_SRVS: ReadonlyMap<string, true> = new Map([
  ['1.6', true],
  ['2.5', true],
]);
