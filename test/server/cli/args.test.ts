/**
 * `stitch` command-line parsing (src/server/cli/args.ts): each command takes its own options only, validate
 * takes several files, and ranges are checked before any work starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numberFlag, parseCommandLine, serverFlag } from '../../../src/server/cli/args';
import { UsageError } from '../../../src/server/cli/serve';

const usage = (argv: string[], message: RegExp) =>
  assert.throws(
    () => parseCommandLine(argv),
    (err: Error) => err instanceof UsageError && message.test(err.message),
    argv.join(' '),
  );

test("another command's option is a usage error naming it, not silently ignored", () => {
  usage(['train', 'a.stitch.json', '--port', '5'], /--port is not an option of stitch train/);
  usage(['train', 'a.stitch.json', '--format', 'keras'], /--format is not an option of stitch train/);
  usage(['validate', 'a.stitch.json', '--epochs', '3'], /--epochs is not an option of stitch validate/);
  usage(['serve', '--verbose'], /--verbose is not an option of stitch serve/);
  usage(['export', 'r1', '--epochs', '3'], /--epochs is not an option of stitch export/);
  // Each command's own options pass.
  assert.equal(parseCommandLine(['train', 'a.stitch.json', '--epochs', '3', '--threads', '2']).command, 'train');
  assert.equal(parseCommandLine(['serve', '--port', '0', '--exit-with-stdin', '--workspace', 'x']).command, 'serve');
  assert.equal(parseCommandLine(['export', 'r1', '--format', 'pytorch', '--force']).command, 'export');
  assert.equal(parseCommandLine(['train', '--help']).command, 'help');
});

test('validate takes one or more files (as the README runs it: examples/*.stitch.json)', () => {
  assert.deepEqual(parseCommandLine(['validate', 'a.stitch.json', 'b.stitch.json']).files, [
    'a.stitch.json',
    'b.stitch.json',
  ]);
  usage(['validate'], /takes one or more schema files/);
  usage(['train', 'a.stitch.json', 'b.stitch.json'], /takes exactly one schema file/);
});

test('--min-accuracy is a fraction from 0 to 1, checked before training', () => {
  const values = (v: string) => ({ 'min-accuracy': v });
  assert.equal(numberFlag(values('0.97'), 'min-accuracy', 0, 1), 0.97);
  assert.throws(
    () => numberFlag(values('97'), 'min-accuracy', 0, 1),
    /--min-accuracy: expected a number from 0 to 1, got "97"/,
  );
  assert.throws(() => numberFlag(values('x'), 'min-accuracy', 0, 1), UsageError);
});

test('--server is an http(s) address', () => {
  assert.equal(serverFlag('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
  assert.equal(serverFlag(undefined), undefined);
  for (const bad of ['notaurl', 'ftp://host', '127.0.0.1:8080'])
    assert.throws(() => serverFlag(bad), /--server: expected the server's address, e\.g\. http:\/\/127\.0\.0\.1:8080/);
});
