// Every subcommand module, in the order `smki --help` lists them.
import type { Command } from 'commander';
import type { Action } from '../main.js';
import { registerAudit } from './audit.js';
import { registerOfficer } from './officer.js';
import { registerParty } from './party.js';

export type Wrap = (action: Action) => (...args: unknown[]) => Promise<void>;
export type Register = (program: Command, wrap: Wrap) => void;

export const COMMANDS: Register[] = [registerParty, registerOfficer, registerAudit];
