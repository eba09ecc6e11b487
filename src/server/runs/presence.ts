/**
 * Several Stitch servers can share one runs folder: every VS Code window starts its own, all with the
 * extension's global storage. Each server announces itself with a file, `<runsDir>/.servers/<id>.json`, that it
 * touches every 10 s and removes when it closes. A run records the server that trains it (`server_id` in
 * run.json). Another server leaves an active run alone while its owner's file is fresh: it shows the run as it
 * is on disk and follows its events there, and marks it failed ("the server stopped") only once the owner is
 * gone: its process no longer exists, or its file was removed or left untouched for a minute (of this server's
 * waking time: a machine that slept does not make every other server look gone).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `<pid>-<random>`: the pid tells at once that a killed server is gone; the file's age covers a reused pid. */
const SERVER_ID = /^(\d{1,10})-[a-f0-9]{1,32}$/;
const TOUCH_MS = 10_000;
/** An owner whose file is older than this was killed (a live one touches it every TOUCH_MS). */
export const PRESENCE_STALE_MS = 60_000;

export class ServerPresence {
  readonly id = `${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly dir: string;
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt = new Date().toISOString();
  /** Each other server's file as this one last saw it: its mtime, and when (performance.now()). */
  private readonly seen = new Map<string, { mtimeMs: number; at: number }>();

  /** `staleMs`: PRESENCE_STALE_MS but in tests. */
  constructor(
    runsDir: string,
    log: (line: string) => void,
    private readonly staleMs = PRESENCE_STALE_MS,
  ) {
    this.dir = join(runsDir, '.servers'); // not a run id: the run listing skips it
    const announce = () => {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(this.file(this.id), this.content());
      // The files of servers that were killed (they remove their own when they close).
      for (const name of readdirSync(this.dir)) {
        const id = name.replace(/\.json$/, '');
        if (SERVER_ID.test(id) && !processExists(id)) rmSync(this.file(id), { force: true });
      }
    };
    try {
      announce();
    } catch (err) {
      log(
        `could not announce this server in ${this.dir} (${(err as Error).message}); other servers may mark its runs failed`,
      );
    }
    this.timer = setInterval(() => {
      const now = new Date();
      // Removed by hand (or the folder was): announced again. A runs folder that cannot be written was
      // logged at start, and fails the runs themselves, loudly.
      utimes(this.file(this.id), now, now)
        .catch(() => mkdir(this.dir, { recursive: true }).then(() => writeFile(this.file(this.id), this.content())))
        .catch(() => undefined);
    }, TOUCH_MS);
    this.timer.unref();
  }

  /** Whether the server `id` (from a run.json: checked, never trusted as a path) is running now. */
  async isAlive(id: unknown): Promise<boolean> {
    if (id === this.id) return true;
    if (typeof id !== 'string' || !SERVER_ID.test(id) || !processExists(id)) return false;
    return stat(this.file(id)).then(
      (s) => this.touchedLately(id, s.mtimeMs),
      (err: unknown) => (err as NodeJS.ErrnoException).code !== 'ENOENT', // removed: closed; unreadable: cannot tell
    );
  }

  /** `isAlive` for start-up code (the run manager's restore), which reads before the server listens. */
  isAliveSync(id: unknown): boolean {
    if (id === this.id) return true;
    if (typeof id !== 'string' || !SERVER_ID.test(id) || !processExists(id)) return false;
    try {
      return this.touchedLately(id, statSync(this.file(id)).mtimeMs);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  }

  /**
   * Whether a server touched its file within `staleMs`. A file old by the wall clock is also what a
   * machine that just woke from sleep shows (no server touched its file while it slept), so such a file means
   * "gone" only once this server, awake, has seen it unchanged for that long by its own monotonic clock.
   */
  private touchedLately(id: string, mtimeMs: number): boolean {
    const now = performance.now();
    const seen = this.seen.get(id);
    if (seen?.mtimeMs !== mtimeMs) this.seen.set(id, { mtimeMs, at: now });
    if (Date.now() - mtimeMs < this.staleMs) return true;
    return seen?.mtimeMs !== mtimeMs || now - seen.at < this.staleMs;
  }

  private content(): string {
    return JSON.stringify({ pid: process.pid, started_at: this.startedAt });
  }

  /** At shutdown: other servers see at once that this one's runs are no longer trained. */
  close(): void {
    clearInterval(this.timer);
    rmSync(this.file(this.id), { force: true });
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}

/** Whether the server id's process exists (EPERM: it does, owned by another user). */
function processExists(id: string): boolean {
  try {
    process.kill(Number(SERVER_ID.exec(id)?.[1]), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
