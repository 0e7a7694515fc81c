// Every subcommand module, in the order `smki --help` lists them.
import type { Command } from 'commander';
import type { Action } from '../main.js';
import { registerAudit } from './audit.js';
import { registerAdt } from './adt.js';
import { registerDevice } from './device.js';
import { registerAlert } from './alert.js';
import { registerSr } from './sr.js';
import { registerSolr } from './solr.js';
import { registerCa } from './ca.js';
import { registerCert } from './cert.js';
import { registerCrl } from './crl.js';
import { registerInit } from './init.js';
import { registerDemo } from './demo.js';
import { registerOfficer } from './officer.js';
import { registerParty } from './party.js';
import { registerOnboard } from './onboard.js';
import { registerReport } from './report.js';

export type Wrap = (action: Action) => (...args: unknown[]) => Promise<void>;
export type Register = (program: Command, wrap: Wrap) => void;

export const COMMANDS: Register[] = [registerInit, registerParty, registerOfficer, registerCert, registerCrl, registerCa, registerDevice, registerAdt, registerSolr, registerSr, registerAlert, registerAudit, registerDemo, registerOnboard, registerReport];
