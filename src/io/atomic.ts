// Crash-safe file writes (Node only). A reader sees either the old file or the new one, never a torn
// one: write a temporary file in the same directory, fsync it, rename it over the target, fsync the
// directory. A directory of files (a checkpoint) is written the same way as a whole.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic there.
  }
}

function tmpName(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function writeAndSync(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `path` with `data` atomically. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tmpName(path);
  try {
    writeAndSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dirname(path));
}

/**
 * Writes a directory of files so that `dir` is, at every moment, either absent, the complete old
 * version or the complete new one (apart from the instant between two renames, when a reader finds
 * `<dir>.old` holding the old version; readDirRecovering handles that).
 */
export function writeDirAtomic(dir: string, files: Readonly<Record<string, Uint8Array | string>>): void {
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = tmpName(dir);
  mkdirSync(tmp);
  try {
    for (const [name, data] of Object.entries(files)) writeAndSync(join(tmp, name), data);
    fsyncDir(tmp);
    const old = `${dir}.old`;
    rmSync(old, { recursive: true, force: true });
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(tmp, dir);
    fsyncDir(dirname(dir));
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Resolves a directory written by writeDirAtomic, finishing an interrupted swap if needed. */
export function recoverDir(dir: string): string | null {
  const old = `${dir}.old`;
  if (existsSync(dir)) {
    rmSync(old, { recursive: true, force: true });
    return dir;
  }
  if (existsSync(old)) {
    renameSync(old, dir);
    return dir;
  }
  return null;
}

/**
 * Appends one JSON line to a JSONL file atomically (the whole file is rewritten through a temporary
 * file). Result files hold hundreds of rows, so the rewrite costs nothing and no reader ever sees a
 * half-written row, even after a kill -9.
 */
export function appendJsonlAtomic(path: string, row: unknown): void {
  const before = existsSync(path) ? readFileSync(path) : new Uint8Array(0);
  const line = new TextEncoder().encode(`${JSON.stringify(row)}\n`);
  const sep = before.length > 0 && before[before.length - 1] !== 0x0a ? new Uint8Array([0x0a]) : new Uint8Array(0);
  const out = new Uint8Array(before.length + sep.length + line.length);
  out.set(before);
  out.set(sep, before.length);
  out.set(line, before.length + sep.length);
  writeFileAtomic(path, out);
}
