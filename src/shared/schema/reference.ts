/**
 * Human- and model-readable references generated from the registry: the Markdown tables of
 * docs/schema.md and the compact text the chat assistant's prompt embeds. Never written by hand, so they
 * cannot drift from what validation accepts.
 */
import { DATASETS, DATASET_NAMES } from './datasets';
import { INITIALIZERS, LAYERS, LAYER_TYPES } from './layers';
import type { ParamDef } from './params';
import { EARLY_STOPPING_PARAMS, LOSSES, LOSS_NAMES, OPTIMIZERS, OPTIMIZER_TYPES, TRAINING_PARAMS } from './training';

function kindText(p: ParamDef): string {
  switch (p.kind) {
    case 'int':
    case 'number': {
      const lo = p.min === undefined ? '' : `${p.exclusiveMin ? '>' : '≥'} ${p.min}`;
      const hi = p.max === undefined ? '' : `${p.exclusiveMax ? '<' : '≤'} ${p.max}`;
      const range = [lo, hi].filter(Boolean).join(', ');
      return range ? `${p.kind} (${range})` : p.kind;
    }
    case 'enum':
      return (p.values ?? []).map((v) => `\`${v}\``).join(' \\| ');
    case 'bool':
      return 'bool';
    case 'intOrPair':
      return 'int or [rows, cols]';
    case 'shape':
      return p.allowInfer ? 'shape (one -1 allowed)' : 'shape';
  }
}

function defaultText(p: ParamDef): string {
  if (p.required) return '**required**';
  if (p.defaultNote) return `= ${p.defaultNote}`;
  return p.default === undefined ? '—' : `\`${JSON.stringify(p.default)}\``;
}

function paramTable(params: readonly ParamDef[]): string {
  if (params.length === 0) return '_No parameters._\n';
  const rows = params.map((p) => `| \`${p.name}\` | ${kindText(p)} | ${defaultText(p)} | ${p.description} |`);
  return ['| parameter | value | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}

/** The Markdown reference of layers, datasets and training (docs/schema.md's generated part). */
export function schemaReferenceMarkdown(): string {
  const out: string[] = ['## Layers', ''];
  for (const type of LAYER_TYPES) {
    const def = LAYERS[type];
    const inputs = def.merge ? ' Takes two or more `inputs`.' : '';
    out.push(
      `### \`${type}\``,
      '',
      `${def.description}${inputs} (\`tf.layers.${def.factory}\`)`,
      '',
      paramTable(def.params),
    );
  }
  out.push('## Datasets', '', '| name | input shape | classes | description |', '| --- | --- | --- | --- |');
  for (const name of DATASET_NAMES) {
    const d = DATASETS[name];
    out.push(`| \`${name}\` | [${d.inputShape.join(', ')}] | ${d.classes} | ${d.description} |`);
  }
  out.push(
    '',
    'Options of the synthetic datasets (`{ "name": "spiral", "samples": 500, "noise": 0.2 }`):',
    '',
    paramTable(DATASETS.spiral.options),
  );
  out.push('## Training', '', paramTable(TRAINING_PARAMS));
  out.push('### Optimizers', '');
  for (const type of OPTIMIZER_TYPES)
    out.push(`#### \`${type}\``, '', OPTIMIZERS[type].description, '', paramTable(OPTIMIZERS[type].params));
  out.push('### Losses', '', ...LOSS_NAMES.map((l) => `- \`${l}\`: ${LOSSES[l]}`), '');
  out.push('### Early stopping', '', paramTable(EARLY_STOPPING_PARAMS));
  return out.join('\n');
}

function compactParam(p: ParamDef): string {
  const value = p.kind === 'enum' ? (p.values ?? []).join('|') : kindText(p);
  const dflt = p.required
    ? 'required'
    : p.defaultNote
      ? `default ${p.defaultNote}`
      : p.default === undefined
        ? 'optional'
        : `default ${JSON.stringify(p.default)}`;
  return `${p.name}: ${value}, ${dflt}`;
}

/** A compact reference for a language model's prompt: one line per layer type, dataset and setting. */
export function schemaReferenceText(): string {
  const lines = ['Layer types (parameters use tf.layers names):'];
  for (const type of LAYER_TYPES) {
    const def = LAYERS[type];
    // Initializers are listed once below instead of on every layer, to keep the prompt short.
    const params = def.params
      .filter((p) => !p.name.endsWith('Initializer'))
      .map(compactParam)
      .join('; ');
    lines.push(
      `- ${type}${def.merge ? ' (merge: needs "inputs" with 2+ ids)' : ''}: ${def.description}${params ? ` Params: ${params}.` : ''}`,
    );
  }
  lines.push(
    `Initializers (kernelInitializer, biasInitializer, depthwiseInitializer, pointwiseInitializer where the layer has weights): ${INITIALIZERS.join('|')}.`,
  );
  lines.push(
    'Datasets: ' +
      DATASET_NAMES.map(
        (n) => `${n} (input [${DATASETS[n].inputShape.join(', ')}], ${DATASETS[n].classes} classes)`,
      ).join(', ') +
      '; or { "csv": "path.csv", "label": "column" } or { "idx": { "images": …, "labels": … } }.',
  );
  lines.push('Training: ' + TRAINING_PARAMS.map(compactParam).join('; ') + '.');
  lines.push(
    'Optimizers: ' +
      OPTIMIZER_TYPES.map((t) => `${t} (${OPTIMIZERS[t].params.map(compactParam).join('; ')})`).join(', ') +
      '.',
  );
  lines.push('Losses: ' + LOSS_NAMES.join(', ') + '.');
  return lines.join('\n');
}
