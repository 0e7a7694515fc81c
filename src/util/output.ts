// Files that commands write on request (--out): never over the CA's own keys, registry, checkpoint
// or MAC key (whatever path, symlink or hard link names them), and always whole: a temporary file in
// the same folder, fsynced, then renamed over the target, so an interrupted write leaves no half file.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { InputError } from '../domain/errors.js';
import type { HomePaths } from '../registry/home.js';

/** What no output may replace: the keys folder, the registry (and its -wal/-shm/-journal), the checkpoint. */
function protectedTargets(home: HomePaths): { path: string; tree: boolean }[] {
  return [
    { path: home.keysDir, tree: true },
    { path: home.auditKey, tree: false },
    { path: home.checkpoint, tree: false },
    { path: home.db, tree: false },
    ...['-wal', '-shm', '-journal'].map((x) => ({ path: `${home.db}${x}`, tree: false })),
  ];
}

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The path a write to `path` lands on: symlinks resolved, also for a target that does not exist yet. */
function landingPath(path: string): string {
  const direct = real(path);
  if (direct) return direct;
  const parent = real(dirname(path));
  return parent ? join(parent, basename(path)) : path;
}

/** Refuses (exit 4) an output path that would land on the CA's keys, registry, checkpoint or MAC key. */
export function refuseProtectedOutput(path: string, home: HomePaths, flag = '--out'): void {
  const target = landingPath(path);
  let targetStat: { dev: number; ino: number } | undefined;
  try {
    targetStat = statSync(target);
  } catch {
    targetStat = undefined;
  }
  for (const p of protectedTargets(home)) {
    const r = real(p.path) ?? p.path;
    const inside = target === r || (p.tree && target.startsWith(r + sep));
    let sameFile = false;
    if (!inside && targetStat && !p.tree) {
      try {
        const s = statSync(r);
        sameFile = s.dev === targetStat.dev && s.ino === targetStat.ino;
      } catch {
        sameFile = false;
      }
    }
    if (inside || sameFile) {
      throw new InputError(`${flag}: ${path} is the CA home's ${basename(p.path)}${p.tree ? ' folder' : ''}; an output never replaces the CA's keys, registry or checkpoint`);
    }
  }
}

/** Writes `data` to `path` whole or not at all (temporary file beside it, fsync, rename). */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw e;
  }
}

/** An --out file: refused over the CA's own files, then written atomically; unwritable is exit 4. */
export function writeOutput(path: string, data: string | Buffer, home: HomePaths, flag = '--out', mode = 0o644): void {
  refuseProtectedOutput(path, home, flag);
  try {
    writeFileAtomic(path, data, mode);
  } catch (e) {
    throw new InputError(`${flag}: cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
