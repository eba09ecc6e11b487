/**
 * Runs the in-VS-Code suite with @vscode/test-electron on a machine with VS Code desktop (it downloads a
 * VS Code build): `node scripts/e2e/build-tests.mjs && node out/test/extension/runTest.js`.
 * Where there is no desktop VS Code (CI here), scripts/e2e/run.mjs runs the same suite in code-server.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../../..');
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'stitch-tests-'));
  cpSync(path.join(root, 'test/extension/fixtures'), workspace, { recursive: true });
  await runTests({
    version: process.env.VSCODE_VERSION ?? '1.100.3',
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out/test/extension/suite/index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
