import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** A PGlite data directory's lock: released by `release()`, or left stale by a process that died. */
export interface DirLock {
  release(): void;
}

/**
 * What to do about a lock written on another host (another container sharing the volume), whose
 * process cannot be checked from here: the server takes it over (after its container was
 * recreated, the old one is gone, and refusing would keep it down); the admin command refuses.
 */
export type ForeignLock = 'take-over' | 'refuse';

/** Lock files this process holds: a file naming our own id is ours only if it is in here. */
const heldHere = new Set<string>();

/** Whether a process with this id is running here (signal 0 tests for it without sending anything). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const inUse = (dir: string, holder: string, path: string) =>
  new Error(
    `The database in ${dir} is in use by process ${holder}: PGlite serves one process. Stop that process first, ` +
      `or set DATABASE_URL to a PostgreSQL server (if no such process uses it, delete ${path})`,
  );

/**
 * Takes `<dir>.lock` (`<pid> <host>`) for the PGlite directory `dir`, or throws when a running
 * process holds it. PGlite is one process' store: a second process (another server, the admin
 * command), or a second open in this one, would write a copy of the database that diverges from
 * the first, silently. A lock left by a process that died is taken over, and so is one naming our
 * own id that this process does not hold (a container's process restarts with the same id).
 */
export function lockDataDir(dir: string, foreign: ForeignLock = 'take-over'): DirLock {
  const path = `${dir}.lock`;
  const host = hostname();
  if (heldHere.has(path)) throw inUse(dir, `${process.pid} (this one)`, path);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid} ${host}`, { flag: 'wx' });
      heldHere.add(path);
      return {
        release() {
          if (heldHere.delete(path)) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [pidText = '', holderHost = host] = readFileSync(path, 'utf8').trim().split(' ');
      const pid = Number(pidText);
      const elsewhere = holderHost !== host;
      const alive = elsewhere ? foreign === 'refuse' : Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && running(pid);
      if (alive) throw inUse(dir, elsewhere ? `${pid} on ${holderHost}` : String(pid), path);
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`Could not lock ${path}`);
}
