/**
 * The panel's metrics side: the run list (refreshed when runs start, progress or end, and when the server
 * changes state) and one RunFeed per run the page shows, relaying its events (docs/webview.md).
 */
import * as vscode from 'vscode';
import type { RunSummary } from '../../shared/protocol';
import type { PanelHostMessage } from '../../shared/webviewProtocol';
import { Disposable } from '../disposable';
import type { RunTracker } from '../runTracker';
import type { ServerController } from '../serverController';
import { RunFeed } from './runFeed';

/** Changes arrive in bursts (every batch of a run): the list is read at most once a second. */
const REFRESH_DELAY_MS = 1000;

export class RunsController extends Disposable {
  private readonly feeds = new Map<string, RunFeed>();
  private refreshTimer: { clear(): void } | undefined;

  constructor(
    private readonly server: ServerController,
    tracker: RunTracker,
    private readonly post: (message: PanelHostMessage) => void,
  ) {
    super();
    this.register(tracker.onDidChange(() => this.scheduleRefresh()));
    this.register(server.onDidChangeState(() => this.scheduleRefresh()));
    this.register(new vscode.Disposable(() => this.stopFeeds()));
  }

  /** Lists the runs; starts the server only when asked to (opening the panel, the refresh button). */
  async refresh(start: boolean): Promise<void> {
    // A server that cannot start shows as such in the list (serverState), and its error in the status bar.
    const client = start ? await this.server.ensureStarted().catch(() => undefined) : this.server.readyClient;
    let runs: RunSummary[] = [];
    try {
      runs = client ? await client.runs() : [];
    } catch (err) {
      this.server.log.warn(`panel: could not list the runs: ${(err as Error).message}`);
    }
    this.post({ type: 'runs', runs, serverState: this.server.state.kind });
  }

  /** Follows exactly these runs; a run whose webview copy is behind (e.g. after a reload) restarts after it. */
  follow(runIds: string[], after: Record<string, number>): void {
    for (const [runId, feed] of this.feeds) {
      if (!runIds.includes(runId)) {
        feed.dispose();
        this.feeds.delete(runId);
      }
    }
    for (const runId of runIds) {
      const have = after[runId] ?? 0;
      const feed = this.feeds.get(runId);
      if (feed && feed.lastEventId <= have) continue;
      feed?.dispose();
      this.feeds.set(
        runId,
        new RunFeed(runId, {
          after: have,
          // Never starts the server: a crashed one stays down until the user restarts it (the feed retries).
          client: () => {
            const client = this.server.readyClient;
            return client
              ? Promise.resolve(client)
              : Promise.reject(new Error('the Stitch server is not running; run "Stitch: Restart Server"'));
          },
          onEvents: (events) => this.post({ type: 'run/events', runId, events }),
          onStatus: (status, message) => this.post({ type: 'run/stream', runId, status, message }),
        }),
      );
    }
  }

  private scheduleRefresh(): void {
    this.refreshTimer ??= this.timer(REFRESH_DELAY_MS, () => {
      this.refreshTimer = undefined;
      void this.refresh(false);
    });
  }

  private stopFeeds(): void {
    for (const feed of this.feeds.values()) feed.dispose();
    this.feeds.clear();
  }
}
