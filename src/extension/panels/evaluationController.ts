/**
 * The panel's Evaluate tab, host side: a run's evaluation, model summary and test setup (`model`, built by
 * runModelView.ts from `GET /api/runs/:id`), and the samples of a confusion cell
 * (`GET /api/runs/:id/evaluation/samples`), all through the one HTTP client. Errors are answered to the page,
 * which shows them in place of the view (docs/webview.md). No vscode: tested in Node against a real server
 * (test/extension/panels/modelTabs.test.ts).
 */
import { open } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { StitchClient } from '../../shared/client';
import type { RunDetail } from '../../shared/protocol';
import type { PanelHostMessage } from '../../shared/webviewProtocol';
import { csvFeatureNames, runModelView } from './runModelView';

export type ClientSource = () => Promise<StitchClient>;
export type Post = (message: PanelHostMessage) => void;

export class EvaluationController {
  constructor(
    private readonly client: ClientSource,
    private readonly post: Post,
  ) {}

  async load(runId: string): Promise<void> {
    try {
      const detail = await (await this.client()).run(runId);
      this.post({ type: 'model', runId, view: runModelView(detail, await featureNamesOf(detail)) });
    } catch (err) {
      this.post({ type: 'model', runId, view: null, error: (err as Error).message });
    }
  }

  async cell(runId: string, cell: string): Promise<void> {
    try {
      const samples = await (await this.client()).evaluationSamples(runId, cell);
      this.post({ type: 'evaluation/cell', runId, cell, samples });
    } catch (err) {
      this.post({ type: 'evaluation/cell', runId, cell, samples: [], error: (err as Error).message });
    }
  }
}

/**
 * A CSV run's feature names from the file's header row, read where the schema was (a local server's runs);
 * null when there is no such file here (a remote server's path): the form then says x1, x2, …
 */
async function featureNamesOf(detail: RunDetail): Promise<string[] | null> {
  const dataset = detail.schema.training?.dataset;
  if (typeof dataset !== 'object' || !('csv' in dataset)) return null;
  const path = isAbsolute(dataset.csv)
    ? dataset.csv
    : resolve(detail.schema_path ? dirname(detail.schema_path) : process.cwd(), dataset.csv);
  try {
    const file = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(8192), 0, 8192, 0);
      return csvFeatureNames(buffer.subarray(0, bytesRead).toString('utf8').split(/\r?\n/)[0], dataset.label);
    } finally {
      await file.close();
    }
  } catch {
    // Not readable from here (a remote server's file, or moved): generic names will do.
    return null;
  }
}
