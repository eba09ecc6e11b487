/**
 * The folders a server may read schema and dataset files from: one per VS Code workspace folder (a
 * multi-root workspace has several), or the folder `stitch serve` was given. A schema's relative dataset
 * paths must stay inside the folder that holds the schema.
 */
import { resolve } from 'node:path';
import { isInside } from './data/paths';

export class Workspace {
  readonly roots: readonly string[];

  /** `roots`: at least one folder; duplicates and nested folders are kept as given (the first match wins). */
  constructor(roots: readonly string[]) {
    if (roots.length === 0) throw new Error('a workspace needs at least one folder');
    this.roots = roots.map((root) => resolve(root));
  }

  /** The folder that holds `path`, or undefined when it lies outside every folder. */
  rootOf(path: string): string | undefined {
    return this.roots.find((root) => isInside(root, resolve(path)));
  }

  /** The folder dataset paths are confined to: the one holding the schema file, else the first. */
  rootFor(schemaPath: string | null): string {
    return (schemaPath && this.rootOf(schemaPath)) || this.roots[0];
  }

  describe(): string {
    return this.roots.length === 1 ? this.roots[0] : this.roots.join(', ');
  }
}
