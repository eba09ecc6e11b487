/**
 * Other VS Code windows train and save models in the same runs folder, through servers of their own
 * (docs/server.md, "Several servers on one runs folder"). A watch on that folder refreshes this window's
 * Runs and Models views when a run is added or deleted, changes state, or the catalog changes: at most once a
 * second. The watch is on the folder's top level only (a run folder, `models.json`, and `.changed`, which
 * servers rewrite whenever a run.json changes): a recursive watch would hold a watch on every run's every file
 * (Node's recursive watch on Linux does), and wake for every batch appended to an event log.
 */
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import * as vscode from 'vscode';

export function watchRunsFolder(
  runsDir: string,
  onChange: () => void,
  log: vscode.LogOutputChannel,
): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    mkdirSync(runsDir, { recursive: true }); // the server makes it too, but may not have started yet
    watcher = watch(runsDir, () => {
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
