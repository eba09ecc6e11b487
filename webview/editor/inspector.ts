/**
 * The inspector: for one selected layer, its id and every registry parameter as a type-aware control
 * (enums as dropdowns, numbers with their bounds, booleans as checkboxes, pairs and shapes as text), with
 * the layer's problems; with nothing selected, the model (name, input shape) and the `training` section.
 * Every change is an intent; the next snapshot re-renders the form (unless a field has the focus).
 */
import { LAYERS, isLayerType } from '../../src/shared/schema/layers';
import { DATASET_NAMES } from '../../src/shared/schema/datasets';
import { LOSS_NAMES, OPTIMIZERS, OPTIMIZER_TYPES, TRAINING_PARAMS } from '../../src/shared/schema/training';
import type { ParamDef } from '../../src/shared/schema/params';
import type { DocumentSnapshot, EditIntent, LayerView, ProblemView } from '../../src/shared/webviewProtocol';
import { button, el } from '../dom';
import { formatCount, formatShape } from './graphModel';
import { boundsHint, displayValue, parseParamInput } from './paramValues';

type Emit = (intent: EditIntent) => void;

export class Inspector {
  constructor(
    private readonly host: HTMLElement,
    private readonly emit: Emit,
  ) {}

  render(snapshot: DocumentSnapshot, selection: string[]): void {
    // Do not pull a field out from under the user's cursor; the next snapshot after they leave it renders.
    if (this.host.contains(document.activeElement) && document.activeElement !== this.host) {
      const active = document.activeElement as HTMLElement;
      if (active.tagName === 'VSCODE-TEXTFIELD') return;
    }
    this.host.replaceChildren();
    const layers = selection.map((id) => snapshot.layers.find((l) => l.id === id)).filter((l): l is LayerView => !!l);
    if (layers.length === 1)
      this.renderLayer(
        layers[0],
        snapshot.problems.filter((p) => p.layerId === layers[0].id),
      );
    else if (layers.length > 1) this.renderMany(layers);
    else this.renderModel(snapshot);
  }

  private section(title: string): HTMLElement {
    const s = el('section', 'inspector-section');
    s.appendChild(el('h2', '', title));
    this.host.appendChild(s);
    return s;
  }

  private renderLayer(layer: LayerView, problems: ProblemView[]): void {
    const s = this.section(`${layer.type} layer`);
    const known = isLayerType(layer.type) ? LAYERS[layer.type] : undefined;
    if (known) s.appendChild(el('p', 'hint', known.description));
    s.appendChild(
      el(
        'p',
        'facts',
        `output ${formatShape(layer.outputShape)} · ${layer.params === null ? '?' : formatCount(layer.params)} params`,
      ),
    );
    s.appendChild(
      textRow('id', layer.id, 'Unique name; other layers refer to it in "inputs".', (v) => {
        if (v && v !== layer.id) this.emit({ type: 'layer/rename', id: layer.id, newId: v });
      }),
    );
    s.appendChild(
      el('p', 'facts', `inputs: ${layer.sources.join(', ') || '(none)'}${layer.inputs ? '' : ' (previous layer)'}`),
    );
    problemsList(
      s,
      problems.filter((p) => !p.key || !known?.params.some((d) => d.name === p.key)),
    );
    const params = known?.params ?? [];
    for (const def of params) {
      s.appendChild(
        paramRow(
          def,
          layer.config[def.name],
          problems.filter((p) => p.key === def.name),
          (value) => this.emit({ type: 'layer/update', id: layer.id, key: def.name, value }),
        ),
      );
    }
    // Keys the registry does not know (typos, other tools' keys) are shown so they can be removed.
    for (const key of Object.keys(layer.config).filter((k) => !params.some((d) => d.name === k))) {
      s.appendChild(
        textRow(key, displayValue(layer.config[key]), 'Not a parameter of this layer type.', (v) => {
          if (v === '') this.emit({ type: 'layer/update', id: layer.id, key, value: undefined });
        }),
      );
    }
    const actions = el('div', 'actions');
    actions.append(
      button('Duplicate', 'copy', () => this.emit({ type: 'layer/duplicate', ids: [layer.id] })),
      button('Delete', 'trash', () => this.emit({ type: 'layer/delete', ids: [layer.id] })),
    );
    s.appendChild(actions);
  }

  private renderMany(layers: LayerView[]): void {
    const s = this.section(`${layers.length} layers selected`);
    s.appendChild(el('p', 'hint', layers.map((l) => l.id).join(', ')));
    const actions = el('div', 'actions');
    const ids = layers.map((l) => l.id);
    actions.append(
      button('Duplicate', 'copy', () => this.emit({ type: 'layer/duplicate', ids })),
      button('Delete', 'trash', () => this.emit({ type: 'layer/delete', ids })),
    );
    s.appendChild(actions);
  }

  private renderModel(snapshot: DocumentSnapshot): void {
    const m = this.section('Model');
    m.appendChild(
      textRow('name', snapshot.name, 'Shown in runs and notifications.', (v) =>
        this.emit({ type: 'schema/rename', name: v }),
      ),
    );
    m.appendChild(
      paramRow(
        { name: 'input shape', kind: 'shape', description: 'One sample, without the batch dimension.' },
        snapshot.inputShape ?? undefined,
        snapshot.problems.filter((p) => p.path.startsWith('input')),
        (value) => {
          if (Array.isArray(value)) this.emit({ type: 'schema/inputShape', shape: value as number[] });
        },
      ),
    );
    m.appendChild(el('p', 'facts', `${snapshot.layers.length} layers · ${formatCount(snapshot.params)} params`));
    const t = this.section('Training');
    const training = snapshot.training ?? {};
    const problems = snapshot.problems.filter((p) => p.path.startsWith('training'));
    const at = (key: string) => problems.filter((p) => p.path.startsWith(`training.${key}`));
    const set = (path: (string | number)[], value: unknown) => this.emit({ type: 'training/update', path, value });
    problemsList(
      t,
      problems.filter((p) => p.path === 'training' || p.path === ''),
    );

    const dataset = training.dataset;
    if (typeof dataset === 'object' && dataset !== null && !('name' in dataset)) {
      t.appendChild(
        textRow(
          'dataset',
          JSON.stringify(dataset),
          'A CSV or IDX dataset: edit it in the text.',
          () => undefined,
          true,
        ),
      );
    } else {
      const current = typeof dataset === 'string' ? dataset : (dataset as { name?: string } | undefined)?.name;
      t.appendChild(
        paramRow(
          {
            name: 'dataset',
            kind: 'enum',
            values: DATASET_NAMES,
            description: 'Built-in dataset (CSV/IDX files: edit the text).',
          },
          current,
          at('dataset'),
          (v) => set(typeof dataset === 'object' && dataset !== null ? ['dataset', 'name'] : ['dataset'], v),
        ),
      );
    }
    for (const def of TRAINING_PARAMS)
      t.appendChild(paramRow(def, training[def.name], at(def.name), (v) => set([def.name], v)));
    const optimizer = training.optimizer;
    const optType =
      typeof optimizer === 'string' ? optimizer : ((optimizer as { type?: string } | undefined)?.type ?? 'adam');
    const optObject =
      typeof optimizer === 'object' && optimizer !== null ? (optimizer as Record<string, unknown>) : { type: optType };
    t.appendChild(
      paramRow(
        {
          name: 'optimizer',
          kind: 'enum',
          values: OPTIMIZER_TYPES,
          default: 'adam',
          description: 'How weights are updated.',
        },
        optType,
        at('optimizer'),
        (v) => set(['optimizer'], { ...optObject, type: v ?? 'adam' }),
      ),
    );
    const lr = OPTIMIZERS[optType as keyof typeof OPTIMIZERS]?.params.find((p) => p.name === 'learningRate');
    if (lr)
      t.appendChild(
        paramRow(lr, optObject.learningRate, at('optimizer.learningRate'), (v) =>
          set(['optimizer'], { ...optObject, learningRate: v }),
        ),
      );
    t.appendChild(
      paramRow(
        {
          name: 'loss',
          kind: 'enum',
          values: LOSS_NAMES,
          default: 'categoricalCrossentropy',
          description: 'What training minimizes.',
        },
        training.loss,
        at('loss'),
        (v) => set(['loss'], v),
      ),
    );
  }
}

function row(name: string, help: string, control: HTMLElement, problems: ProblemView[] = []): HTMLElement {
  const r = el('div', 'row');
  const id = `f-${name.replace(/\W/g, '-')}-${Math.random().toString(36).slice(2, 7)}`;
  const label = el('label', '', name);
  label.htmlFor = id;
  label.title = help;
  control.id = id;
  control.title = help;
  r.append(label, control);
  if (problems.length) {
    r.classList.add('invalid');
    control.setAttribute('invalid', '');
    problemsList(r, problems);
  }
  return r;
}

function textRow(
  name: string,
  value: string,
  help: string,
  onChange: (value: string) => void,
  readonly = false,
): HTMLElement {
  const input = document.createElement('vscode-textfield') as HTMLElement & { value: string };
  input.value = value;
  if (readonly) input.setAttribute('readonly', '');
  input.addEventListener('change', () => onChange(input.value.trim()));
  return row(name, help, input);
}

/** One registry parameter as the control its kind calls for. */
function paramRow(
  def: ParamDef,
  value: unknown,
  problems: ProblemView[],
  onChange: (value: unknown) => void,
): HTMLElement {
  const help = `${def.description}${def.default !== undefined ? ` Default: ${displayValue(def.default)}.` : ''}${boundsHint(def) ? ` (${boundsHint(def)})` : ''}`;
  if (def.kind === 'enum') {
    const select = document.createElement('vscode-single-select') as HTMLElement & { value: string };
    const values = [...(def.values ?? [])];
    const current = typeof value === 'string' ? value : '';
    if (current && !values.includes(current)) values.unshift(current);
    const defaultLabel = def.default !== undefined ? `(default: ${String(def.default)})` : '(not set)';
    for (const v of ['', ...values]) {
      const option = document.createElement('vscode-option') as HTMLElement & { value: string };
      option.setAttribute('value', v);
      option.textContent = v === '' ? defaultLabel : v;
      if (v === current) option.setAttribute('selected', '');
      select.appendChild(option);
    }
    select.addEventListener('change', () => onChange(select.value === '' ? undefined : select.value));
    return row(def.name, help, select, problems);
  }
  if (def.kind === 'bool') {
    const box = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
    box.checked = typeof value === 'boolean' ? value : def.default === true;
    box.addEventListener('change', () => onChange(box.checked));
    return row(def.name, help, box, problems);
  }
  const input = document.createElement('vscode-textfield') as HTMLElement & { value: string; placeholder: string };
  input.value = displayValue(value);
  input.setAttribute(
    'placeholder',
    def.default !== undefined
      ? `default ${displayValue(def.default)}`
      : def.defaultNote
        ? `default ${def.defaultNote}`
        : def.required
          ? 'required'
          : '',
  );
  // Integers get a number field with the registry's bounds (arrow keys step by 1). Fractional numbers stay
  // text fields: a number field's step would mark 0.001 as invalid.
  if (def.kind === 'int') {
    input.setAttribute('type', 'number');
    if (def.min !== undefined) input.setAttribute('min', String(def.min));
    if (def.max !== undefined) input.setAttribute('max', String(def.max));
  }
  if (def.kind === 'number') input.setAttribute('inputmode', 'decimal');
  const r = row(def.name, help, input, problems);
  const error = el('div', 'field-error');
  r.appendChild(error);
  input.addEventListener('change', () => {
    const parsed = parseParamInput(def, input.value);
    error.textContent = parsed.ok ? '' : parsed.error;
    if (parsed.ok) onChange(parsed.value);
  });
  return r;
}

function problemsList(parent: HTMLElement, problems: ProblemView[]): void {
  if (!problems.length) return;
  const ul = el('ul', 'problems');
  for (const p of problems) {
    const li = el('li', p.severity);
    const icon = el('span', `codicon codicon-${p.severity === 'error' ? 'error' : 'warning'}`);
    li.append(icon, document.createTextNode(` ${p.message}`));
    li.title = p.path;
    ul.appendChild(li);
  }
  parent.appendChild(ul);
}
