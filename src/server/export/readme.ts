/** The README.md of an export folder: what is in it and how to run each file. */
import type { StitchSchema } from '../../shared/schema/types';
import type { ExportFormat } from './exportModel';

export function exportReadme(schema: StitchSchema, format: ExportFormat, runId: string, withData: boolean): string {
  const name = schema.name ?? 'model';
  const shape = JSON.stringify(schema.input.shape);
  const head = `# ${name}, exported from Stitch\n\nTrained by Stitch run \`${runId}\`; \`schema.stitch.json\` is the schema it was trained from.\n`;
  switch (format) {
    case 'tfjs':
      return `${head}
## Files
- \`model.json\`, \`weights.bin\`: the TensorFlow.js layers model, as trained.

## Use it
\`\`\`js
const model = await tf.loadLayersModel('file://./model.json'); // tfjs-node, or an http(s) URL in a browser
const probabilities = model.predict(tf.tensor([sample], [1, ...${shape}]));
\`\`\`
`;
    case 'keras':
      return `${head}
## Files
- \`model.py\`: \`build_model()\` (a functional \`keras.Model\`, layers named by schema id) and \`load_model()\`.
- \`weights.safetensors\`: the trained weights, \`<layer id>/<weight>\` in Keras order.

## Use it (TensorFlow 2 or Keras 3, numpy)
\`\`\`python
from model import load_model
model = load_model()
probabilities = model.predict(x)   # x: float32, shape (N, ${schema.input.shape.join(', ')}), channels last, scaled as in training
\`\`\`
\`python model.py\` prints the model summary.
`;
    case 'pytorch':
      return `${head}
## Files
- \`model.py\`: \`StitchModel\` (an \`nn.Module\`, submodules named by schema id) and \`load_model(dir)\`.
- \`weights.safetensors\`: the trained weights as \`StitchModel\`'s state dict.
- \`train.py\`: trains the same architecture with the run's hyperparameters${withData ? ' on `data/dataset.safetensors`, the samples the run used' : ' (export with data to get `data/dataset.safetensors`)'}.

## Use it (PyTorch ≥ 1.13; the \`safetensors\` package is optional)
\`\`\`python
from model import load_model
model = load_model()                 # eval mode
probabilities = model(x)             # x: float32, shape (N, ${schema.input.shape.length === 3 ? `${schema.input.shape[2]}, ${schema.input.shape[0]}, ${schema.input.shape[1]}` : schema.input.shape.join(', ')})${schema.input.shape.length === 3 ? ' (NCHW)' : ''}, scaled as in training
\`\`\`
\`python model.py\` prints the module and checks that the weights load.

## Train it again, on one GPU or many
\`\`\`sh
python train.py                                  # one process
torchrun --nproc_per_node 4 train.py             # 4 GPUs (or CPU processes): DistributedDataParallel
torchrun --nnodes 2 --nproc_per_node 8 --rdzv_endpoint HOST:29500 train.py   # two machines
\`\`\`
Options: \`--epochs\`, \`--batch-size\` (per process), \`--max-samples\`, \`--data\`, \`--out\`. Rank 0 prints each
epoch's loss and accuracy, the test accuracy, and writes \`trained.safetensors\`. On CPUs the processes talk
over gloo. With torch older than 2.0 on Python 3.11 (e.g. Debian 12's), torchrun stops with
"'NoneType' object has no attribute 'get'"; add \`--redirects 1 --tee 1\` to its options.
`;
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}
