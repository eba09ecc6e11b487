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
    walkthroughs?: {
      id: string;
      steps: { id: string; description: string; media: { markdown?: string; image?: string } }[];
    }[];
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

test('the walkthrough covers create, train, metrics, test, chat; every step has its media and a command', () => {
  const walkthrough = manifest.contributes.walkthroughs?.find((w) => w.id === 'getStarted');
  assert.ok(walkthrough, 'contributes.walkthroughs has "getStarted"');
  assert.deepEqual(
    walkthrough.steps.map((s) => s.id),
    ['createSchema', 'train', 'metrics', 'test', 'chat'],
  );
  const ignore = readFileSync(join(root, '.vscodeignore'), 'utf8');
  for (const step of walkthrough.steps) {
    const media = step.media.markdown ?? step.media.image ?? '';
    assert.ok(existsSync(join(root, media)), `${step.id}: ${media} exists`);
    assert.ok(
      media.startsWith('media/walkthrough/') && ignore.includes('!media/walkthrough/**'),
      `${step.id}: its media ships in the .vsix`,
    );
    assert.match(step.description, /\(command:stitch\.\w+\)/, `${step.id}: a button that does the step`);
  }
});
