// A training checkpoint as a directory on disk (Node only). save() goes through writeDirAtomic, so after
// a kill -9 at any moment the directory is either the previous checkpoint or the new one; load() finishes
// a swap that a kill interrupted (recoverDir) and removes the half-written temporary directories that
// killed writers left behind.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FormatError } from '../errors.js';
import { recoverDir, writeDirAtomic } from './atomic.js';

/** Files of a flat directory, by name (sub-directories are not part of a checkpoint and are skipped). */
export function readDirFiles(dir: string): Record<string, Uint8Array> {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    throw new FormatError(`cannot read the directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, dir);
  }
  const files: Record<string, Uint8Array> = {};
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isFile()) files[name] = new Uint8Array(readFileSync(path));
  }
  return files;
}

/**
 * Whether `pid` is a running process. A killed writer can linger as a zombie until its new parent reaps
 * it (in containers PID 1 may take its time), and signal 0 still reaches a zombie, so Linux's
 * /proc/<pid>/stat state is checked too.
 */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no procfs (macOS): signal 0 is all there is
  }
}

/** Removes `.<name>.tmp-<pid>-<hex>` directories (writeDirAtomic's) whose writer process is gone. */
export function removeStaleTemporaries(dir: string): string[] {
  const parent = dirname(dir);
  if (!existsSync(parent)) return [];
  const prefix = `.${basename(dir)}.tmp-`;
  const removed: string[] = [];
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * The CheckpointStore of train() on disk: one directory, replaced atomically on every save.
 *
 * @example
 * const store = new DirectoryCheckpointStore('runs/mini/checkpoint');
 * await train(model, dataset, tokenizer, { ...options, checkpoints: store, checkpointEvery: 500 });
 */
export class DirectoryCheckpointStore {
  constructor(readonly dir: string) {}

  async load(): Promise<Record<string, Uint8Array> | null> {
    removeStaleTemporaries(this.dir);
    const found = recoverDir(this.dir);
    return found === null ? null : readDirFiles(found);
  }

  async save(files: Record<string, Uint8Array>): Promise<void> {
    writeDirAtomic(this.dir, files);
  }
}
