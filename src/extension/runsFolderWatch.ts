/**
 * Other VS Code windows train and save models in the same runs folder, through servers of their own
 * (docs/server.md, "Several servers on one runs folder"). A watch on that folder refreshes this window's
 * Runs and Models views when a run is added, changes state or is deleted, or the catalog changes: at most
 * once a second, and not for the event-log appends of every batch.
 */
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import * as vscode from 'vscode';

/** A file whose change shows in the views: a run folder (top level), a run's run.json, the catalog. */
const SHOWN = /^[^\\/]+$|[\\/]run\.json$/;

export function watchRunsFolder(
  runsDir: string,
  onChange: () => void,
  log: vscode.LogOutputChannel,
): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    mkdirSync(runsDir, { recursive: true }); // the server makes it too, but may not have started yet
    watcher = watch(runsDir, { recursive: true }, (_event, name) => {
      if (name && !SHOWN.test(name)) return;
      timer ??= setTimeout(() => {
        timer = undefined;
        onChange();
      }, 1000);
    });
    watcher.on('error', (err) => {
      log.warn(`stopped watching ${runsDir} (${err.message}); other windows' runs show on Refresh`);
      watcher?.close();
    });
  } catch (err) {
    log.warn(`cannot watch ${runsDir} (${(err as Error).message}); other windows' runs show on Refresh`);
  }
  return new vscode.Disposable(() => {
    clearTimeout(timer);
    watcher?.close();
  });
}
