/**
 * The chat's system prompt. The schema format is described by `schemaReferenceText()`, generated from the
 * same layer, dataset and training definitions the validator checks against, so the prompt cannot drift
 * from what the validator accepts. The model also gets the current schema with its problems, shapes and
 * parameter count, and the last run's metrics for that schema when there is one.
 */
import type { MetricEvent, ValidateResponse } from '../../shared/protocol';
import { formatShape, schemaReferenceText } from '../../shared/schema';
import type { RunRecord } from '../runs/store';

/** What the prompt needs from the run manager (read without blocking the event loop). */
export interface RunHistorySource {
  list(): RunRecord[];
  metricsAsync(runId: string): Promise<MetricEvent[]>;
}

/**
 * What the validator says about the current schema: its answer (checked in the validation worker pool,
 * route.ts, so a large schema never holds the event loop), or why it was not checked (over a limit).
 */
export type CurrentCheck = Pick<ValidateResponse, 'errors' | 'shapes' | 'params'> | { refused: string };

/** The fence a proposal must use; the extractor looks for it. */
export const PROPOSAL_FENCE = '```json';

let reference: string | undefined;

const RULES = `You are Stitch's assistant inside VS Code. You help a developer design and train neural networks written as Stitch schema files (*.stitch.json), trained with TensorFlow.js.

How to answer:
- Answer questions about the network, its shapes, its training and its metrics directly and briefly, in Markdown.
- Propose a changed architecture ONLY when the user asks for a change (add, remove, replace, improve, fix, make it bigger/smaller/faster, try something). For questions, explanations or reviews, do not include a schema.
- When you propose a change, explain it in a few sentences, then give the COMPLETE new schema (every key, not a diff) in exactly one fenced block that starts with ${PROPOSAL_FENCE} and contains only JSON (no comments). Keep the user's layer ids for layers that stay, keep "version": 1, and leave out "layout" (the editor keeps it).
- The proposal must be valid: every layer type and parameter from the reference below, output shape matching the dataset and loss (e.g. softmax over 10 units with categoricalCrossentropy for mnist), merge layers (add, concatenate) naming 2+ "inputs".
- Never invent training results; use the metrics given below.`;

const FORMAT = `Schema format: one JSON object { "version": 1, "name", "description"?, "input": { "shape": [no batch dimension] }, "layers": [ { "id", "type", ...tf.layers parameters (camelCase) } ], "training": { "dataset", "epochs", "batchSize", "optimizer": { "type", "learningRate" }, "loss", ... } }.
A layer consumes the previous layer unless it names its sources in "inputs": ["id", ...] ("input" = the model input), which gives residual and branching graphs. The last layer is the model's output.`;

export interface PromptContext {
  /** The current schema with the validator's answer, as `describeCurrent` wrote it (off the event loop). */
  current: string;
  /** Absolute path of the schema file, to find its runs. */
  schemaPath?: string;
  /** The current schema's name, to find its runs when there is no path. */
  schemaName?: string;
  runs?: RunHistorySource;
}

export async function systemPrompt(context: PromptContext): Promise<string> {
  reference ??= schemaReferenceText();
  return [RULES, FORMAT, reference, context.current, await describeLastRun(context)].join('\n\n');
}

/** The schema as the user has it now, with what the validator says about it. */
export function describeCurrent(currentSchema: unknown, check: CurrentCheck | undefined): string {
  if (currentSchema === undefined || currentSchema === null || currentSchema === '') {
    return 'Current schema: none (the user has no schema open).';
  }
  if (typeof currentSchema === 'string') {
    return `Current schema: the file does not parse as JSON yet; its text is:\n${currentSchema.slice(0, 20_000)}`;
  }
  if (check === undefined || 'refused' in check) {
    // Over a cap: the schema is not repeated in full either (the prompt would be as large as the schema).
    return `Current schema: not checked (${check?.refused ?? 'no check was made'}).`;
  }
  return [
    `Current schema:\n${JSON.stringify(withoutLayout(currentSchema))}`,
    describeProblems(check),
    describeShapes(check),
  ].join('\n\n');
}

function describeProblems(check: Pick<ValidateResponse, 'errors'>): string {
  if (check.errors.length === 0) return 'Validation: no problems.';
  return (
    'Validation problems:\n' +
    check.errors
      .slice(0, 30)
      .map((e) => `- error: ${e.path ? `${e.path}: ` : ''}${e.message}`)
      .join('\n')
  );
}

function describeShapes(analysis: Pick<ValidateResponse, 'shapes' | 'params'>): string {
  const entries = Object.entries(analysis.shapes);
  if (entries.length === 0) return 'Shapes: could not be inferred (fix the problems first).';
  const lines = entries.map(([id, s]) => `- ${id}: output ${formatShape(s.outputShape)}, ${s.params} params`);
  const total =
    analysis.params > 0
      ? `Total parameters: ${analysis.params}.`
      : 'Total parameters: unknown (some shapes could not be inferred).';
  return `Output shape and parameters per layer:\n${lines.join('\n')}\n${total}`;
}

/** The newest run of this schema file (or, without a path, of a schema with the same name). */
export async function describeLastRun(context: PromptContext): Promise<string> {
  const run = lastRun(context);
  if (!run || !context.runs) return 'Training: this schema has not been trained yet.';
  const metrics = await context.runs.metricsAsync(run.run_id);
  const lines = [
    `Last training run (${run.run_id}, ${run.state}${run.error ? `: ${run.error}` : ''}, backend ${run.backend ?? 'unknown'}):`,
  ];
  for (const m of metrics.slice(-20)) {
    lines.push(
      `- epoch ${m.epoch}/${m.epochs}: train_loss ${fmt(m.train_loss)}, val_loss ${fmt(m.val_loss)}, ` +
        `train_accuracy ${fmt(m.train_accuracy)}, val_accuracy ${fmt(m.val_accuracy)}, learning_rate ${m.learning_rate}, ${fmt(m.epoch_time)} s`,
    );
  }
  if (run.test)
    lines.push(`- test: loss ${fmt(run.test.loss)}, accuracy ${fmt(run.test.accuracy)} on ${run.test.samples} samples`);
  if (metrics.length === 0 && !run.test) lines.push('- no metrics yet');
  return lines.join('\n');
}

function lastRun(context: PromptContext): RunRecord | undefined {
  const runs = context.runs?.list() ?? [];
  if (context.schemaPath) return runs.find((r) => r.schema_path === context.schemaPath);
  const name = context.schemaName;
  return name === undefined ? undefined : runs.find((r) => r.name === name);
}

function withoutLayout(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const { layout: _layout, ...rest } = schema as Record<string, unknown>;
  return rest;
}

const fmt = (v: number | null): string => (v === null ? 'n/a' : Number(v.toPrecision(4)).toString());
