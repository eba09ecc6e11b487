/**
 * The one way the extension reports a failure a person should see: the message in a notification with
 * "Show Log", and the same line in the Stitch output channel (docs/extension.md).
 */
import * as vscode from 'vscode';

export function showError(log: vscode.LogOutputChannel, message: string): void {
  log.error(message);
  void vscode.window.showErrorMessage(message, 'Show Log').then((choice) => {
    if (choice) log.show();
  });
}
