/**
 * Writes `train.py`: trains the exported architecture from scratch with the run's hyperparameters on the
 * run's own samples (data/dataset.safetensors), on one process (`python train.py`) or, unchanged, on many
 * (`torchrun --nproc_per_node N train.py`: DistributedDataParallel, a DistributedSampler per rank, NCCL on
 * GPUs and gloo on CPUs). Rank 0 writes the weights in the same format `load_model` reads.
 */
import { normalizeOptimizer } from '../training/optimizers';
import { TRAINING_DEFAULTS, type LossName, type StitchSchema } from '../../shared/schema/types';

export interface TrainScriptOptions {
  /** The run's resolved hyperparameters. */
  epochs: number;
  batchSize: number;
  validationSplit: number;
  seed: number;
  loss: LossName;
  /** The output layer's activation (softmax/sigmoid: the loss is computed on logits). */
  outputActivation: string;
}

export function trainOptionsOf(schema: StitchSchema): TrainScriptOptions {
  const t = schema.training;
  const last = schema.layers[schema.layers.length - 1];
  return {
    epochs: t?.epochs ?? TRAINING_DEFAULTS.epochs,
    batchSize: t?.batchSize ?? TRAINING_DEFAULTS.batchSize,
    validationSplit: t?.validationSplit ?? TRAINING_DEFAULTS.validationSplit,
    seed: t?.seed ?? TRAINING_DEFAULTS.seed,
    loss: t?.loss ?? TRAINING_DEFAULTS.loss,
    outputActivation: typeof last.activation === 'string' ? last.activation : 'linear',
  };
}

function optimizerLine(schema: StitchSchema): string {
  const o = normalizeOptimizer(schema.training?.optimizer);
  switch (o.type) {
    case 'sgd':
      return `torch.optim.SGD(params, lr=${o.learningRate}, momentum=${o.momentum ?? 0})`;
    case 'adam':
      return `torch.optim.Adam(params, lr=${o.learningRate}, betas=(${o.beta1 ?? 0.9}, ${o.beta2 ?? 0.999}), eps=${o.epsilon ?? 1e-7})`;
    case 'rmsprop':
      return `torch.optim.RMSprop(params, lr=${o.learningRate}, alpha=${o.decay ?? o.rho ?? 0.9}, momentum=${o.momentum ?? 0}, eps=${o.epsilon ?? 1e-7}, centered=${o.centered ? 'True' : 'False'})`;
    case 'adagrad':
      return `torch.optim.Adagrad(params, lr=${o.learningRate}, initial_accumulator_value=${o.initialAccumulatorValue ?? 0.1})`;
    default: {
      const never: never = o.type;
      throw new Error(`unknown optimizer ${String(never)}`);
    }
  }
}

/** Python for the loss over (model, x, labels) → (loss, accuracy numerator). */
function lossLines(o: TrainScriptOptions): string {
  const onLogits = o.outputActivation === 'softmax' || o.outputActivation === 'sigmoid';
  switch (o.loss) {
    case 'categoricalCrossentropy':
    case 'sparseCategoricalCrossentropy':
      return onLogits && o.outputActivation === 'softmax'
        ? `    out = model(x, logits=True)\n    return F.cross_entropy(out, y), out`
        : `    out = model(x)\n    return F.nll_loss(torch.log(out.clamp_min(1e-7)), y), out`;
    case 'binaryCrossentropy':
      return onLogits && o.outputActivation === 'sigmoid'
        ? `    out = model(x, logits=True)\n    return F.binary_cross_entropy_with_logits(out, _targets(y, out)), out`
        : `    out = model(x)\n    return F.binary_cross_entropy(out.clamp(1e-7, 1 - 1e-7), _targets(y, out)), out`;
    case 'meanSquaredError':
      return `    out = model(x)\n    return F.mse_loss(out, _targets(y, out)), out`;
    case 'meanAbsoluteError':
      return `    out = model(x)\n    return F.l1_loss(out, _targets(y, out)), out`;
    default: {
      const never: never = o.loss;
      throw new Error(`unknown loss ${String(never)}`);
    }
  }
}

export function trainScriptSource(schema: StitchSchema): string {
  const o = trainOptionsOf(schema);
  return `"""Trains ${schema.name ?? 'the exported model'} from scratch with the hyperparameters of its Stitch run.

    python train.py                                   # one process (CPU, or the GPU if there is one)
    torchrun --nproc_per_node 4 train.py              # 4 processes on this machine (DistributedDataParallel)
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv_endpoint HOST:29500 train.py   # two machines

Options: --epochs N, --batch-size N (per process), --max-samples N, --data PATH, --out PATH.
The weights are written to trained.safetensors (load them with model.load_model after renaming to
weights.safetensors, or with load_state_dict).
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

from model import StitchModel, _read_safetensors, _write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCHS = ${o.epochs}
BATCH_SIZE = ${o.batchSize}
VALIDATION_SPLIT = ${o.validationSplit}
SEED = ${o.seed}
LOSS = ${JSON.stringify(o.loss)}


def make_optimizer(params):
    return ${optimizerLine(schema)}


def _targets(y, out):
    """Class indices as the float targets of losses that compare values (one-hot, or 0/1 for one unit)."""
    if out.shape[-1] == 1:
        return y.float().unsqueeze(-1)
    return F.one_hot(y, out.shape[-1]).float()


def loss_of(model, x, y):
${lossLines(o)}


def correct(out, y):
    predicted = (out[:, 0] > 0).long() if out.shape[-1] == 1 else out.argmax(dim=-1)
    return (predicted == y).sum().item()


def load_split(path, split, max_samples=None):
    t = _read_safetensors(path)
    x = t["x_" + split]
    x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
    y = t["y_" + split].long()
    if max_samples:
        x, y = x[:max_samples], y[:max_samples]
    return x, y


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\\n")[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--max-samples", type=int, default=None)
    parser.add_argument("--data", default=os.path.join(HERE, "data", "dataset.safetensors"))
    parser.add_argument("--out", default=os.path.join(HERE, "trained.safetensors"))
    args = parser.parse_args()

    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        rank, local_rank = dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0"))
    else:
        rank, local_rank = 0, 0
    device = torch.device("cuda", local_rank) if torch.cuda.is_available() else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    torch.manual_seed(SEED)

    x, y = load_split(args.data, "train", args.max_samples)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(SEED))
    n_val = int(len(x) * VALIDATION_SPLIT)
    train_set = TensorDataset(x[order[n_val:]], y[order[n_val:]])
    val_set = TensorDataset(x[order[:n_val]], y[order[:n_val]]) if n_val else None
    sampler = DistributedSampler(train_set, seed=SEED) if distributed else None
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=sampler is None, sampler=sampler,
                        generator=torch.Generator().manual_seed(SEED))

    model = StitchModel().to(device)
    net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None) if distributed else model
    optimizer = make_optimizer(net.parameters())

    for epoch in range(1, args.epochs + 1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        totals = torch.zeros(3, device=device)  # loss sum, correct, count
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss, out = loss_of(net, xb, yb)
            loss.backward()
            optimizer.step()
            totals += torch.tensor([loss.item() * len(xb), correct(out, yb), len(xb)], device=device)
        if distributed:
            dist.all_reduce(totals)
        line = "epoch %d/%d  loss %.4f  accuracy %.2f%%" % (epoch, args.epochs, totals[0] / totals[2], 100 * totals[1] / totals[2])
        if val_set is not None and rank == 0:
            line += "  val_accuracy %.2f%%" % (100 * evaluate(model, val_set, device))
        if rank == 0:
            print(line, flush=True)

    if rank == 0:
        test_x, test_y = load_split(args.data, "test")
        print("test accuracy %.2f%%" % (100 * evaluate(model, TensorDataset(test_x, test_y), device)), flush=True)
        save_weights(model, args.out)
    if distributed:
        dist.destroy_process_group()


@torch.no_grad()
def evaluate(model, dataset, device):
    model.eval()
    hits = 0
    for xb, yb in DataLoader(dataset, batch_size=512):
        hits += correct(model(xb.to(device)), yb.to(device))
    model.train()
    return hits / max(len(dataset), 1)


def save_weights(model, path):
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    _write_safetensors(state, path)
    print("weights written to", path)


if __name__ == "__main__":
    main()
`;
}
