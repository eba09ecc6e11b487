/**
 * Writes `model.py`: an `nn.Module` that rebuilds a schema's architecture layer by layer, named by schema id,
 * and `load_model(dir)`, which returns it with the trained weights (see weights.ts for the layouts).
 *
 * Tensors of rank 3 per sample (images, [H, W, C] in the schema) are NCHW in PyTorch; the module converts to
 * channels-last exactly where the order of values matters (flatten, reshape, dense over an image), so that
 * the trained weights apply unchanged. "same" padding is TensorFlow's (the extra row/column at the bottom/
 * right), written out with F.pad because PyTorch's padding="same" handles only stride 1.
 */
import { schemaGraph } from '../../shared/schema/graph';
import { toPair } from '../../shared/schema/params';
import { MODEL_INPUT_ID, type LayerSpec, type StitchSchema } from '../../shared/schema/types';

export interface ExportShapes {
  /** Per-sample output shape by layer id (the schema core's inference). */
  [id: string]: number[];
}

interface Emitted {
  init: string[];
  forward: string[];
}

const py = (value: unknown): string =>
  typeof value === 'string'
    ? JSON.stringify(value)
    : value === true
      ? 'True'
      : value === false
        ? 'False'
        : String(value);
const pair = (value: unknown, fallback: number): string => {
  const [a, b] = toPair(value ?? fallback);
  return `(${a}, ${b})`;
};
/** A Python identifier for a layer id (ids may hold '-'); the schema id stays in comments and state dict keys. */
export function pyName(id: string): string {
  const name = id.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `l_${name}` : name;
}

function activationCall(activation: unknown, x: string): string {
  const name = typeof activation === 'string' ? activation : 'linear';
  return name === 'linear' ? x : `_activate(${py(name)}, ${x})`;
}

/** The Python for one layer: its submodule(s) and its line in forward(). */
function emitLayer(
  layer: LayerSpec,
  inputs: string[],
  inputShapes: number[][],
  outputShape: number[],
  isLast: boolean,
): Emitted {
  const id = layer.id;
  const v = pyName(id);
  const x = inputs[0];
  const image = inputShapes[0]?.length === 3;
  const channels = inputShapes[0]?.[inputShapes[0].length - 1] ?? 0;
  const useBias = layer.useBias !== false;
  const act = (expr: string): string => {
    if (isLast && (layer.activation === 'softmax' || layer.activation === 'sigmoid')) {
      // The loss of train.py works on logits; forward() applies the output activation unless asked not to.
      return `${v} = ${expr}\n        if logits:\n            return ${v}\n        ${v} = ${activationCall(layer.activation, v)}`;
    }
    return `${v} = ${activationCall(layer.activation, expr)}`;
  };
  const sameOrValid = (call: string, kernel: string, strides: string, dilation = '(1, 1)'): string =>
    layer.padding === 'same'
      ? call.replace('$X', `_same_pad(${x}, ${kernel}, ${strides}, ${dilation})`)
      : call.replace('$X', x);
  switch (layer.type) {
    case 'dense': {
      const inFeatures = inputShapes[0][inputShapes[0].length - 1];
      const init = `self.${v} = nn.Linear(${inFeatures}, ${py(layer.units)}, bias=${py(useBias)})`;
      return { init: [init], forward: [act(image ? `_nchw(self.${v}(_nhwc(${x})))` : `self.${v}(${x})`)] };
    }
    case 'conv2d': {
      const k = pair(layer.kernelSize, 1),
        s = pair(layer.strides, 1),
        d = pair(layer.dilationRate, 1);
      const init = `self.${v} = nn.Conv2d(${channels}, ${py(layer.filters)}, kernel_size=${k}, stride=${s}, dilation=${d}, bias=${py(useBias)})`;
      return { init: [init], forward: [act(sameOrValid(`self.${v}($X)`, k, s, d))] };
    }
    case 'depthwiseConv2d': {
      const k = pair(layer.kernelSize, 1),
        s = pair(layer.strides, 1),
        d = pair(layer.dilationRate, 1);
      const mult = typeof layer.depthMultiplier === 'number' ? layer.depthMultiplier : 1;
      const init = `self.${v} = nn.Conv2d(${channels}, ${channels * mult}, kernel_size=${k}, stride=${s}, dilation=${d}, groups=${channels}, bias=${py(useBias)})`;
      return { init: [init], forward: [act(sameOrValid(`self.${v}($X)`, k, s, d))] };
    }
    case 'separableConv2d': {
      const k = pair(layer.kernelSize, 1),
        s = pair(layer.strides, 1),
        d = pair(layer.dilationRate, 1);
      const mult = typeof layer.depthMultiplier === 'number' ? layer.depthMultiplier : 1;
      return {
        init: [
          `self.${v}_depthwise = nn.Conv2d(${channels}, ${channels * mult}, kernel_size=${k}, stride=${s}, dilation=${d}, groups=${channels}, bias=False)`,
          `self.${v}_pointwise = nn.Conv2d(${channels * mult}, ${py(layer.filters)}, kernel_size=(1, 1), bias=${py(useBias)})`,
        ],
        forward: [act(`self.${v}_pointwise(${sameOrValid(`self.${v}_depthwise($X)`, k, s, d)})`)],
      };
    }
    case 'maxPooling2d':
    case 'averagePooling2d': {
      const k = pair(layer.poolSize, 2),
        s = pair(layer.strides ?? layer.poolSize, 2);
      const max = layer.type === 'maxPooling2d';
      let expr: string;
      if (layer.padding === 'same')
        expr = max
          ? `F.max_pool2d(_same_pad(${x}, ${k}, ${s}, value=float("-inf")), ${k}, ${s})`
          : `_avg_pool_same(${x}, ${k}, ${s})`;
      else expr = `F.${max ? 'max' : 'avg'}_pool2d(${x}, ${k}, ${s})`;
      return { init: [], forward: [`${v} = ${expr}`] };
    }
    case 'globalAveragePooling2d':
      return { init: [], forward: [`${v} = ${x}.mean(dim=(2, 3))`] };
    case 'flatten':
      return { init: [], forward: [`${v} = torch.flatten(${image ? `_nhwc(${x})` : x}, 1)`] };
    case 'dropout':
      return { init: [`self.${v} = nn.Dropout(${py(layer.rate ?? 0.5)})`], forward: [`${v} = self.${v}(${x})`] };
    case 'batchNormalization': {
      const axis = typeof layer.axis === 'number' ? layer.axis : -1;
      const rank = inputShapes[0].length;
      if (axis !== -1 && axis !== rank)
        throw new Error(
          `layers: "${id}" normalizes axis ${axis}; only the last (channel) axis can be exported to PyTorch`,
        );
      const eps = typeof layer.epsilon === 'number' ? layer.epsilon : 0.001;
      const momentum = typeof layer.momentum === 'number' ? layer.momentum : 0.99;
      const features = inputShapes[0][rank - 1];
      const kind = image ? 'BatchNorm2d' : 'BatchNorm1d';
      if (!image && rank !== 1)
        throw new Error(
          `layers: "${id}" normalizes a rank-${rank} tensor; only vectors and images can be exported to PyTorch`,
        );
      // Keras' momentum weighs the old statistics; PyTorch's weighs the new batch.
      return {
        init: [`self.${v} = nn.${kind}(${features}, eps=${eps}, momentum=${+(1 - momentum).toFixed(6)})`],
        forward: [`${v} = self.${v}(${x})`],
      };
    }
    case 'activation':
      return { init: [], forward: [act(x)] };
    case 'reshape': {
      const target = outputShape.join(', ');
      const reshaped = `${image ? `_nhwc(${x})` : x}.reshape(${x}.shape[0], ${target})`;
      return { init: [], forward: [`${v} = ${outputShape.length === 3 ? `_nchw(${reshaped})` : reshaped}`] };
    }
    case 'add':
      return { init: [], forward: [`${v} = ${inputs.join(' + ')}`] };
    case 'concatenate': {
      const axis = typeof layer.axis === 'number' ? layer.axis : -1;
      const rank = inputShapes[0].length;
      const tfAxis = axis < 0 ? rank + 1 + axis : axis; // counting the batch as axis 0
      const dim = rank === 3 ? ({ 1: 2, 2: 3, 3: 1 } as Record<number, number>)[tfAxis] : tfAxis;
      return { init: [], forward: [`${v} = torch.cat([${inputs.join(', ')}], dim=${dim})`] };
    }
    default:
      throw new Error(`layers: "${id}" has type ${String(layer.type)}, which cannot be exported to PyTorch`);
  }
}

const HELPERS = `
def _nhwc(x):
    """NCHW → NHWC: the order of values the trained weights expect after flatten/reshape/dense."""
    return x.permute(0, 2, 3, 1) if x.dim() == 4 else x


def _nchw(x):
    return x.permute(0, 3, 1, 2) if x.dim() == 4 else x


def _same_pad(x, kernel, stride, dilation=(1, 1), value=0.0):
    """TensorFlow's "same" padding: output = ceil(input / stride); the odd pixel goes bottom/right."""
    pads = []
    for size, k, s, d in zip(x.shape[-2:], kernel, stride, dilation):
        total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    return F.pad(x, (left, right, top, bottom), value=value)


def _avg_pool_same(x, kernel, stride):
    """Average pooling with "same" padding that, like TensorFlow, averages only the real pixels."""
    total = F.avg_pool2d(_same_pad(x, kernel, stride), kernel, stride)
    count = F.avg_pool2d(_same_pad(torch.ones_like(x[:, :1]), kernel, stride), kernel, stride)
    return total / count


def _activate(name, x):
    channel_dim = 1 if x.dim() == 4 else -1  # tfjs applies softmax over the last (channel) axis
    if name == "relu":
        return F.relu(x)
    if name == "relu6":
        return F.relu6(x)
    if name == "elu":
        return F.elu(x)
    if name == "selu":
        return F.selu(x)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "hardSigmoid":
        return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)  # Keras' definition, not PyTorch's x/6 + 1/2
    if name == "tanh":
        return torch.tanh(x)
    if name == "softmax":
        return torch.softmax(x, dim=channel_dim)
    if name == "softplus":
        return F.softplus(x)
    if name == "softsign":
        return F.softsign(x)
    if name == "swish":
        return x * torch.sigmoid(x)
    if name == "mish":
        return x * torch.tanh(F.softplus(x))
    if name == "gelu":
        return F.gelu(x)
    raise ValueError("unknown activation " + name)
`;

const LOADER = `
def _read_safetensors(path):
    """Reads a .safetensors file into {name: tensor}, with the safetensors package or without it."""
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        pass
    with open(path, "rb") as f:
        raw = f.read()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    dtypes = {"F32": torch.float32, "I32": torch.int32, "U8": torch.uint8}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        data = bytearray(raw[8 + size + start:8 + size + end])
        tensors[name] = torch.frombuffer(data, dtype=dtypes[entry["dtype"]]).reshape(entry["shape"]) if data else torch.zeros(entry["shape"], dtype=dtypes[entry["dtype"]])
    return tensors


def _write_safetensors(tensors, path):
    """Writes {name: tensor} as .safetensors (float32/int32/uint8), the format load_model reads."""
    dtypes = {torch.float32: "F32", torch.int32: "I32", torch.uint8: "U8"}
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().cpu().contiguous().numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header)
    text += " " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for chunk in chunks:
            f.write(chunk)


def load_model(directory=None, map_location="cpu"):
    """The model with its trained weights (weights.safetensors beside this file), in eval mode."""
    directory = directory or os.path.dirname(os.path.abspath(__file__))
    model = StitchModel()
    state = _read_safetensors(os.path.join(directory, "weights.safetensors"))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise RuntimeError("weights do not match the model: missing %s, unexpected %s" % (missing, unexpected))
    return model.to(map_location).eval()


if __name__ == "__main__":
    m = load_model()
    print(m)
    print("parameters:", sum(p.numel() for p in m.parameters()))
    print("output for a zero input:", m(torch.zeros((1,) + INPUT_SHAPE)).detach().numpy().round(4).tolist())
`;

/** Per-sample shape in PyTorch order: [C, H, W] for images, unchanged otherwise. */
export function torchShape(shape: readonly number[]): number[] {
  return shape.length === 3 ? [shape[2], shape[0], shape[1]] : [...shape];
}

export function pytorchModelSource(
  schema: StitchSchema,
  shapes: ExportShapes,
  meta: { classNames: string[] | null; numClasses: number },
): string {
  const graph = schemaGraph(schema);
  const shapeOf = (id: string): number[] => (id === MODEL_INPUT_ID ? schema.input.shape : shapes[id]);
  const init: string[] = [];
  const forward: string[] = [];
  const lastIndex = schema.layers.length - 1;
  for (const i of graph.order) {
    const layer = schema.layers[i];
    const sources = graph.sources[i];
    const inputs = sources.map((s) => (s === MODEL_INPUT_ID ? 'x' : pyName(s)));
    const emitted = emitLayer(layer, inputs, sources.map(shapeOf), shapes[layer.id], i === lastIndex);
    init.push(`# ${layer.id}: ${layer.type}`, ...emitted.init);
    forward.push(`# ${layer.id}: ${layer.type} → ${JSON.stringify(torchShape(shapes[layer.id]))}`, ...emitted.forward);
  }
  const last = pyName(schema.layers[lastIndex].id);
  const title = schema.name ?? 'stitch model';
  return `"""${title}: exported from Stitch as a PyTorch module.

    from model import load_model
    model = load_model()                  # trained weights from weights.safetensors, eval mode
    probabilities = model(x)              # x: float32 ${JSON.stringify(['N', ...torchShape(schema.input.shape)])}${schema.input.shape.length === 3 ? ' (NCHW)' : ''}, scaled as in training

forward(x, logits=True) returns the output layer's values before its softmax/sigmoid (what train.py's
loss uses). Generated code: regenerate it with "stitch export" rather than editing it by hand.
"""
import json
import os
import struct

import torch
import torch.nn.functional as F
from torch import nn

INPUT_SHAPE = ${pyTuple(torchShape(schema.input.shape))}
NUM_CLASSES = ${meta.numClasses}
CLASS_NAMES = ${meta.classNames ? JSON.stringify(meta.classNames) : 'None'}
${HELPERS}

class StitchModel(nn.Module):
    def __init__(self):
        super().__init__()
${init.map((l) => `        ${l}`).join('\n')}

    def forward(self, x, logits=False):
${forward
  .map((l) =>
    l
      .split('\n')
      .map((part) => (part.startsWith('        ') ? part : `        ${part}`))
      .join('\n'),
  )
  .join('\n')}
        return ${last}
${LOADER}`;
}

function pyTuple(values: readonly number[]): string {
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`;
}
