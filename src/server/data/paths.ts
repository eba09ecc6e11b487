/**
 * Dataset paths from a schema are resolved against the schema's folder and must stay inside the
 * workspace: a schema someone else wrote must not read `~/.ssh/id_rsa` or `../../etc/passwd` as "data".
 * Symlinks are resolved before the check, so a link inside the workspace cannot point out of it.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * True when `path` is `root` or lies below it (both absolute). A name that merely starts with two dots
 * (`..data/x.csv`) is inside; only a `..` segment leaves.
 */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The real path of `file` (relative to `baseDir`, or absolute), or a clear error when it does not exist or
 * lies outside `workspaceRoot`. `what` names the schema field for the message, e.g. `training.dataset.csv`.
 */
export function resolveWorkspaceFile(file: string, baseDir: string, workspaceRoot: string, what: string): string {
  if (typeof file !== 'string' || file.trim() === '')
    throw new Error(`${what}: give the path of a file in the workspace`);
  const root = realpathSync(resolve(workspaceRoot));
  const wanted = resolve(baseDir, file);
  const outside = () =>
    new Error(
      `${what}: "${file}" is outside the workspace (${root}); move the file into the workspace folder and use a relative path`,
    );
  // Check the path as written first, so that `..` escapes are refused even when the target does not exist.
  if (!isInside(root, wanted) && !isInside(resolve(workspaceRoot), wanted)) throw outside();
  let real: string;
  try {
    real = realpathSync(wanted);
  } catch {
    throw new Error(
      `${what}: "${file}" does not exist (looked for ${wanted}); check the path, relative to the schema file's folder`,
    );
  }
  if (!isInside(root, real)) throw outside();
  return real;
}
