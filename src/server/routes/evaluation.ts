/**
 * A succeeded run's test-set evaluation (training/evaluateModel.ts):
 *   GET /api/runs/:run_id/evaluation                   the evaluation (also in GET /api/runs/:run_id)
 *   GET /api/runs/:run_id/evaluation/samples?cell=t,p  the samples of one confusion cell, with their inputs
 */
import { readFile } from 'node:fs/promises';
import type { Evaluation, EvaluationSample } from '../../shared/evaluation';
import { httpError } from '../httpError';
import { EVALUATION_FILE, EVALUATION_SAMPLES_FILE } from '../training/evaluateModel';
import type { ApiRouter, RouteDeps } from './context';
import { knownRunId } from './context';

/** The stored evaluation of a run, or null (not succeeded, or trained before evaluations existed). */
export async function readEvaluation(deps: RouteDeps, runId: string): Promise<Evaluation | null> {
  if (!deps.runs.get(runId)?.model_id) return null;
  try {
    const path = await deps.models.filePath(runId, EVALUATION_FILE);
    return JSON.parse(await readFile(path, 'utf8')) as Evaluation;
  } catch {
    // No file (an older run, or one still training): the run simply has no evaluation to show.
    return null;
  }
}

export function evaluationRoutes(router: ApiRouter, deps: RouteDeps): void {
  router.get('/api/runs/:run_id/evaluation', async (ctx) => {
    const runId = knownRunId(ctx, deps.runs);
    const evaluation = await readEvaluation(deps, runId);
    if (!evaluation)
      throw httpError(
        404,
        `run ${runId} has no evaluation: only a run that succeeded (and had test samples) is evaluated`,
      );
    ctx.body = { run_id: runId, ...evaluation };
  });

  router.get('/api/runs/:run_id/evaluation/samples', async (ctx) => {
    const runId = knownRunId(ctx, deps.runs);
    const cell = String(ctx.query.cell ?? '');
    if (!/^\d{1,4},\d{1,4}$/.test(cell))
      throw httpError(400, 'cell: give the true and predicted class as "t,p", e.g. ?cell=3,5');
    const evaluation = await readEvaluation(deps, runId);
    if (!evaluation) throw httpError(404, `run ${runId} has no evaluation`);
    const indices = evaluation.cells[cell] ?? [];
    const [label, prediction] = cell.split(',').map(Number);
    let inputs: Record<string, Pick<EvaluationSample, 'image' | 'features'>> = {};
    if (indices.length > 0) {
      const path = await deps.models.filePath(runId, EVALUATION_SAMPLES_FILE);
      inputs = JSON.parse(await readFile(path, 'utf8')) as typeof inputs;
    }
    ctx.body = {
      run_id: runId,
      cell,
      label,
      prediction,
      samples: indices.map((index) => ({ index, label, prediction, ...inputs[index] })),
    };
  });
}
