import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/** A PGlite data directory's lock: released by `release()`, or left stale by a process that died. */
export interface DirLock {
  release(): void;
}

/** Whether a process with this id is running (signal 0 tests for it without sending anything). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock files this process holds: a file naming our own id is ours only if it is in here. */
const heldHere = new Set<string>();

const inUse = (dir: string, pid: number, path: string) =>
  new Error(
    `The database in ${dir} is in use by process ${pid}: PGlite serves one process. Stop that process first, ` +
      `or set DATABASE_URL to a PostgreSQL server (if no such process uses it, delete ${path})`,
  );

/**
 * Takes `<dir>.lock` (holding this process' id) for the PGlite directory `dir`, or throws when a
 * running process holds it. PGlite is one process' store: a second process (another server, the
 * admin command), or a second open in this one, would write a copy of the database that diverges
 * from the first, silently. A lock left by a process that died is taken over, and so is one naming
 * our own id that this process does not hold (a container's process restarts with the same id).
 */
export function lockDataDir(dir: string): DirLock {
  const path = `${dir}.lock`;
  if (heldHere.has(path)) throw inUse(dir, process.pid, path);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      heldHere.add(path);
      return {
        release() {
          if (heldHere.delete(path)) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && running(holder)) throw inUse(dir, holder, path);
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`Could not lock ${path}`);
}
