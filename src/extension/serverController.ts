/**
 * The one owner of the Stitch server (like rust-analyzer's `Ctx`): a typed state, `ensureStarted`, `stop`
 * and `restart`. Everything else asks the controller for a client and never touches the process.
 *
 * - Local (default): `dist/cli.js serve` is spawned on first need (not at activation), with a fresh random
 *   token. If it dies it is restarted with a back-off; after MAX_QUICK_DEATHS deaths in a row the state
 *   becomes `crashed` and a notification offers the log.
 * - Remote: when the setting `stitch.server.url` is set, no process is spawned; the token comes from
 *   SecretStorage ("Stitch: Set Remote Server Token").
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { StitchClient, type ClientHints } from '../shared/client';
import { Secrets } from './secrets';
import { spawnServer } from './serverProcess';

export type ServerState =
  | { kind: 'stopped' }
  | { kind: 'starting'; remote: boolean }
  | { kind: 'ready'; url: string; remote: boolean; pid: number | undefined; backend: string }
  | { kind: 'crashed'; message: string };

/** Deaths in a row (each within STABLE_MS of its start) before we stop restarting. */
const MAX_QUICK_DEATHS = 3;
const STABLE_MS = 60_000;
/** What the extension's notifications add to an unreachable server or a refused token. */
const CLIENT_HINTS: ClientHints = {
  unreachable: 'Run "Stitch: Restart Server", or check the setting stitch.server.url.',
  unauthorized: 'the server rejected the token: run "Stitch: Set Remote Server Token" for a remote server',
};

export class ServerController implements vscode.Disposable {
  private current: ServerState = { kind: 'stopped' };
  private client: StitchClient | undefined;
  private child: ChildProcess | undefined;
  private starting: Promise<StitchClient> | undefined;
  /** Bumped by stop(): a start that began before it is abandoned (its process killed) when it finishes. */
  private generation = 0;
  private quickDeaths = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<ServerState>();
  readonly onDidChangeState = this.changed.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly secrets: Secrets,
    readonly log: vscode.LogOutputChannel,
  ) {}

  get state(): ServerState {
    return this.current;
  }

  /** The process id of the local server, for tests and the log; undefined when remote or not running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The client when the server is ready, without starting it. */
  get readyClient(): StitchClient | undefined {
    return this.current.kind === 'ready' ? this.client : undefined;
  }

  /** Returns a client for a ready server, starting (or connecting to) it first if needed. */
  ensureStarted(): Promise<StitchClient> {
    if (this.current.kind === 'ready' && this.client) return Promise.resolve(this.client);
    if (!this.starting) {
      const starting = this.start().finally(() => {
        if (this.starting === starting) this.starting = undefined;
      });
      this.starting = starting;
    }
    return this.starting;
  }

  async restart(): Promise<StitchClient> {
    await this.stop();
    this.quickDeaths = 0;
    return this.ensureStarted();
  }

  /** Stops the local process (remote: just forgets the connection); a start under way is abandoned. */
  async stop(): Promise<void> {
    this.generation++;
    this.starting = undefined; // abandoned: the next ensureStarted() starts afresh, with the settings of then
    clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = undefined;
    this.client = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timeout);
    }
    this.setState({ kind: 'stopped' });
  }

  dispose(): void {
    void this.stop();
    this.changed.dispose();
  }

  private async start(): Promise<StitchClient> {
    const remoteUrl = vscode.workspace.getConfiguration('stitch').get<string>('server.url', '').trim();
    const generation = this.generation;
    this.setState({ kind: 'starting', remote: !!remoteUrl });
    try {
      return remoteUrl ? await this.connectRemote(remoteUrl, generation) : await this.spawnLocal(generation);
    } catch (err) {
      const message = (err as Error).message;
      if (generation !== this.generation) throw err; // stopped meanwhile: stop() has set the state
      this.log.error(message);
      this.setState({ kind: 'crashed', message });
      throw err;
    }
  }

  private async connectRemote(url: string, generation: number): Promise<StitchClient> {
    const token = await this.secrets.get('remoteToken');
    const client = new StitchClient(url, token, CLIENT_HINTS);
    const health = await client.health();
    // Settings or the token changed meanwhile (each restarts): this connection has the old ones.
    if (generation !== this.generation) throw new Error('The connection to the Stitch server was replaced.');
    this.log.info(`connected to the remote Stitch server ${url} (${health.backend}, version ${health.version})`);
    this.client = client;
    this.setState({ kind: 'ready', url, remote: true, pid: undefined, backend: health.backend });
    return client;
  }

  private async spawnLocal(generation: number): Promise<StitchClient> {
    const config = vscode.workspace.getConfiguration('stitch');
    const storage = this.context.globalStorageUri.fsPath;
    const runsDir = localRunsDir(this.context);
    const dataDir = path.join(storage, 'data');
    mkdirSync(runsDir, { recursive: true });
    mkdirSync(dataDir, { recursive: true });
    const folders = (vscode.workspace.workspaceFolders ?? [])
      .filter((f) => f.uri.scheme === 'file')
      .map((f) => f.uri.fsPath);
    const token = randomBytes(32).toString('hex');
    const openaiKey = await this.secrets.get('openaiApiKey');
    const started = Date.now();
    const { child, url } = await spawnServer({
      cliPath: this.context.asAbsolutePath(path.join('dist', 'cli.js')),
      runsDir,
      dataDir,
      workspaces: folders.length > 0 ? folders : [storage],
      backend: config.get<string>('server.backend') || undefined,
      token,
      env: {
        ...(openaiKey ? { OPENAI_API_KEY: openaiKey } : {}),
        // stitch.server.threads (0: every core) becomes the server's STITCH_THREADS (docs/training.md).
        ...(config.get<number>('server.threads', 0) > 0
          ? { STITCH_THREADS: String(config.get<number>('server.threads')) }
          : {}),
      },
      readyTimeoutMs: config.get<number>('server.startTimeout', 30) * 1000,
      log: this.log,
    });
    if (generation !== this.generation) {
      // stop(), restart() or deactivation came while it started: this process must not outlive them.
      child.kill();
      throw new Error('The Stitch server was stopped while it was starting.');
    }
    const client = new StitchClient(url, token, CLIENT_HINTS);
    let health: Awaited<ReturnType<StitchClient['health']>>;
    try {
      health = await client.health();
    } catch (err) {
      // It printed its ready line but cannot serve (e.g. a backend that does not load): do not leave it running.
      child.kill();
      throw err;
    }
    if (generation !== this.generation) {
      child.kill();
      throw new Error('The Stitch server was stopped while it was starting.');
    }
    this.child = child;
    child.once('exit', (code, signal) => this.onExit(child, started, code, signal));
    this.client = client;
    this.log.info(`server ready at ${url} (pid ${child.pid}, backend ${health.backend}) in ${Date.now() - started} ms`);
    this.setState({ kind: 'ready', url, remote: false, pid: child.pid, backend: health.backend });
    return client;
  }

  /** An unexpected exit: restart with a back-off, or give up after repeated quick deaths. */
  private onExit(child: ChildProcess, started: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return; // stopped on purpose, or already replaced
    this.child = undefined;
    this.client = undefined;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    this.quickDeaths = Date.now() - started < STABLE_MS ? this.quickDeaths + 1 : 1;
    if (this.quickDeaths >= MAX_QUICK_DEATHS) {
      const message = `The Stitch server stopped ${this.quickDeaths} times in a row (last: ${how}); not restarting it.`;
      this.log.error(message);
      this.setState({ kind: 'crashed', message });
      void vscode.window
        .showErrorMessage(
          `${message} Run "Stitch: Restart Server" after checking the log.`,
          'Show Log',
          'Restart Server',
        )
        .then((choice) => {
          if (choice === 'Show Log') this.log.show();
          // A restart that fails again shows in the state, the status bar and the log.
          if (choice === 'Restart Server') void this.restart().catch(() => undefined);
        });
      return;
    }
    const delay = 500 * 2 ** (this.quickDeaths - 1);
    this.log.warn(`the Stitch server exited (${how}); restarting in ${delay} ms`);
    this.setState({ kind: 'starting', remote: false });
    // A failed start sets the crashed state (status bar, log); nobody awaits this one.
    this.restartTimer = setTimeout(() => void this.ensureStarted().catch(() => undefined), delay);
  }

  private setState(state: ServerState): void {
    this.current = state;
    this.changed.fire(state);
  }
}

/** The local servers' runs folder, shared by every window (each starts a server on it). */
export function localRunsDir(context: vscode.ExtensionContext): string {
  return path.join(context.globalStorageUri.fsPath, 'runs');
}
