/**
 * The schema path of a request, checked against the workspace (src/server/validation/job.ts checks the rest
 * of a schema request).
 */
import { isAbsolute, resolve } from 'node:path';
import type { Workspace } from '../workspace';
import { httpError } from '../httpError';

/** `schemaPath`: absolute and inside the workspace (relative dataset paths resolve against its folder). */
export function checkedSchemaPath(raw: unknown, workspace: Workspace): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw !== 'string' || !isAbsolute(raw)) {
    throw httpError(400, 'schemaPath: expected the absolute path of the schema file, or leave it out');
  }
  const path = resolve(raw);
  if (!workspace.rootOf(path)) {
    throw httpError(
      400,
      `schemaPath: ${path} is outside the workspace (${workspace.describe()}); open the schema from inside the workspace, or start the server with --workspace`,
    );
  }
  return path;
}
