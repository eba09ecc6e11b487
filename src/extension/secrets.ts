/**
 * Secrets kept in VS Code's SecretStorage (the OS keychain on desktop): never in settings, files or logs.
 */
import * as vscode from 'vscode';

const KEYS = {
  /** The OpenAI API key the server's chat uses (passed to the local server in its environment). */
  openaiApiKey: 'stitch.openaiApiKey',
  /** The bearer token of the remote server named by `stitch.server.url`. */
  remoteToken: 'stitch.remoteServerToken',
} as const;

export type SecretName = keyof typeof KEYS;

export class Secrets {
  constructor(private readonly storage: vscode.SecretStorage) {}

  get(name: SecretName): Promise<string | undefined> {
    return Promise.resolve(this.storage.get(KEYS[name]));
  }

  set(name: SecretName, value: string): Promise<void> {
    return Promise.resolve(this.storage.store(KEYS[name], value));
  }

  delete(name: SecretName): Promise<void> {
    return Promise.resolve(this.storage.delete(KEYS[name]));
  }
}
