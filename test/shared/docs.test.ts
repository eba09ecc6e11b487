/**
 * docs/schema.md's reference tables are generated from the registry; this test fails when they drift
 * (run with STITCH_UPDATE_DOCS=1 to rewrite them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAYERS, LAYER_TYPES, schemaReferenceMarkdown, schemaReferenceText } from '../../src/shared/schema/index';

const file = join(__dirname, '../../docs/schema.md');
const START = /<!-- generated:start[^>]*-->\n/;
const END = '<!-- generated:end -->';

test('docs/schema.md contains the generated reference', () => {
  const doc = readFileSync(file, 'utf8');
  const start = START.exec(doc);
  assert.ok(start?.index !== undefined && doc.includes(END), 'docs/schema.md has the generated markers');
  const head = doc.slice(0, start.index + start[0].length);
  const tail = doc.slice(doc.indexOf(END));
  const expected = head + '\n' + schemaReferenceMarkdown() + '\n' + tail;
  if (process.env.STITCH_UPDATE_DOCS === '1') writeFileSync(file, expected);
  else
    assert.equal(
      doc,
      expected,
      'the reference is stale: run STITCH_UPDATE_DOCS=1 node scripts/run-tests.mjs test/shared/docs',
    );
});

test('the references name every layer type and parameter', () => {
  const markdown = schemaReferenceMarkdown();
  const prompt = schemaReferenceText();
  for (const type of LAYER_TYPES) {
    assert.ok(markdown.includes(`### \`${type}\``), type);
    assert.ok(prompt.includes(`- ${type}`), type);
    for (const p of LAYERS[type].params) {
      assert.ok(markdown.includes(`\`${p.name}\``), `${type}.${p.name}`);
      if (!p.name.endsWith('Initializer')) assert.ok(prompt.includes(`${p.name}:`), `${type}.${p.name} in the prompt`);
    }
  }
});
