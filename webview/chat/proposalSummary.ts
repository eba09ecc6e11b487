/**
 * A chat proposal as a compact change summary instead of the model's full JSON: where each added layer goes
 * (between which layers), what a removed one sat between, what changed in the others, and the parameter
 * count before and after (from the same schema core as the editor; the layers whose shapes can be inferred
 * count even when another part has a problem). Pure: unit-tested in Node.
 */
import { isObject } from '../../src/shared/isObject';
import { analyzeSchema } from '../../src/shared/schema/analyze';
import { MODEL_INPUT_ID } from '../../src/shared/schema/types';

export interface SummaryLine {
  kind: 'added' | 'removed' | 'changed';
  text: string;
}

export interface ProposalSummary {
  lines: SummaryLine[];
  params: { before: number; after: number };
}

export interface LayerDiff {
  added: string[];
  removed: string[];
  /** Layers present in both whose type or parameters differ, with a short description. */
  changed: { id: string; what: string }[];
  /** Other top-level sections that differ (`input`, `training`, …). */
  sections: string[];
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (isObject(v) ? v : {});
const layersOf = (v: unknown): Raw[] => (Array.isArray(obj(v).layers) ? (obj(v).layers as unknown[]).map(obj) : []);

/** What a proposed schema changes compared with the current one, by layer id. */
export function diffLayers(current: unknown, proposed: unknown): LayerDiff {
  const before = new Map(layersOf(current).map((l) => [String(l.id), l]));
  const after = new Map(layersOf(proposed).map((l) => [String(l.id), l]));
  const added = [...after.keys()].filter((id) => !before.has(id));
  const removed = [...before.keys()].filter((id) => !after.has(id));
  const changed: LayerDiff['changed'] = [];
  for (const [id, next] of after) {
    const prev = before.get(id);
    if (!prev) continue;
    const keys = [...new Set([...Object.keys(prev), ...Object.keys(next)])].filter((k) => k !== 'id');
    const diffs = keys
      .filter((k) => JSON.stringify(prev[k]) !== JSON.stringify(next[k]))
      .map((k) =>
        k === 'type'
          ? `${String(prev[k])} → ${String(next[k])}`
          : `${k}: ${jsonOrDash(prev[k])} → ${jsonOrDash(next[k])}`,
      );
    if (diffs.length) changed.push({ id, what: diffs.join(', ') });
  }
  const sections = ['input', 'training', 'name'].filter(
    (k) => JSON.stringify(obj(current)[k]) !== JSON.stringify(obj(proposed)[k]),
  );
  return { added, removed, changed, sections };
}

/** A layer's sources: its `inputs`, else the layer before it (or the model input). */
function sources(layers: readonly Raw[], index: number): string[] {
  const inputs = layers[index].inputs;
  if (Array.isArray(inputs)) return inputs.map(String);
  return [index === 0 ? MODEL_INPUT_ID : String(layers[index - 1].id)];
}

/** `between pool1 and out`, `after flat` (nothing consumes it), or `at the start`. */
function placement(layers: readonly Raw[], id: string): string {
  const index = layers.findIndex((l) => String(l.id) === id);
  if (index < 0) return '';
  const from = sources(layers, index).join(' + ');
  const to = layers
    .map((_, k) => k)
    .filter((k) => sources(layers, k).includes(id))
    .map((k) => String(layers[k].id));
  return to.length ? `between ${from} and ${to.join(', ')}` : `after ${from}`;
}

/** The parameters of the layers whose shapes the core could infer. */
export function inferredParams(schema: unknown): number {
  const analysis = analyzeSchema(schema);
  return Object.values(analysis.shapes).reduce((sum, s) => sum + s.params, 0);
}

export function summarizeProposal(current: unknown, proposed: unknown): ProposalSummary {
  const diff = diffLayers(current, proposed);
  const before = layersOf(current),
    after = layersOf(proposed);
  const typeOf = (layers: readonly Raw[], id: string) => String(layers.find((l) => String(l.id) === id)?.type ?? '?');
  const lines: SummaryLine[] = [
    ...diff.added.map((id) => ({
      kind: 'added' as const,
      text: `${id} (${typeOf(after, id)}) ${placement(after, id)}`,
    })),
    ...diff.removed.map((id) => ({
      kind: 'removed' as const,
      text: `${id} (${typeOf(before, id)}), was ${placement(before, id)}`,
    })),
    ...diff.changed.map((c) => ({ kind: 'changed' as const, text: `${c.id}: ${c.what}` })),
    ...diff.sections.map((s) => ({ kind: 'changed' as const, text: `${s} changed` })),
  ];
  return { lines, params: { before: inferredParams(current), after: inferredParams(proposed) } };
}

/** `34,826 → 35,100 params (+274)` */
export function paramDelta({ before, after }: ProposalSummary['params']): string {
  const d = after - before;
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  return `${before.toLocaleString('en-US')} → ${after.toLocaleString('en-US')} params (${sign}${Math.abs(d).toLocaleString('en-US')})`;
}

/**
 * The assistant's text without the proposed schema's JSON (the summary card shows what it changes): a
 * fenced block that holds `"layers"` becomes one line; while it streams, the unfinished block is hidden too.
 */
export function hideSchemaBlocks(text: string): string {
  return text.replace(/```(?:json|jsonc)?[ \t]*\n[\s\S]*?(?:```|$)/g, (block) =>
    block.includes('"layers"') ? '*(proposed schema: summarized below)*' : block,
  );
}

/** A parameter's value as JSON, or – where the layer does not set it (JSON.stringify gives undefined then). */
function jsonOrDash(value: unknown): string {
  return value === undefined ? '–' : JSON.stringify(value);
}
