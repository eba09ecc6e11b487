"""PyTorch reference for `npm run bench`: trains the same architecture as a Stitch schema on the same MNIST
data with the same batch size and optimizer, and prints one JSON line with its throughput and accuracy.

Only the layer types the benchmarked examples use are translated (dense, conv2d, maxPooling2d,
averagePooling2d, flatten, dropout, activation); anything else is reported as unsupported.

Like for like: the weights start as the schema says Stitch starts them (tf.layers' defaults: glorotUniform
kernels, zero biases), not with PyTorch's own defaults (kaiming_uniform(a=√5) weights and uniform biases),
and Adam's epsilon is the schema's or tfjs's default (1e-7, PyTorch's is 1e-8). `--init torch` keeps
PyTorch's defaults instead. The JSON line says which (`init`). The same samples: `--train-indices` and
`--test-indices` name files of little-endian int32 indices into MNIST's training and test images, those
Stitch's run keeps (the bench writes them); without them the first `--samples` and `--test` images are used.

Usage: python3 torch_reference.py SCHEMA MNIST_DIR [--samples N | --train-indices FILE] --epochs E
       [--test N | --test-indices FILE] [--threads T] [--device cuda] [--init schema|torch]

On CUDA the samples are moved to the GPU once, before timing, and the timing ends after a synchronize: the
same conditions as Stitch's GPU path, which keeps the dataset on the device too. MNIST_DIR holds the four IDX
files, raw or as .gz.
"""
import argparse
import gzip
import os
import json
import struct
import sys
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    opener = open if os.path.exists(path) else gzip.open
    path = path if os.path.exists(path) else path + '.gz'
    with opener(path, 'rb') as f:
        magic = struct.unpack('>I', f.read(4))[0]
        dims = [struct.unpack('>I', f.read(4))[0] for _ in range(magic & 0xFF)]
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def activation(name):
    table = {'relu': nn.ReLU(), 'tanh': nn.Tanh(), 'sigmoid': nn.Sigmoid(), 'elu': nn.ELU(), 'selu': nn.SELU(),
             'relu6': nn.ReLU6(), 'softplus': nn.Softplus(), 'linear': None, None: None, 'softmax': None}
    if name not in table:
        raise ValueError(f'unsupported activation {name}')
    return table[name]


def pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def initializer(name):
    """The torch.nn.init function for a tf.layers initializer name; fans are computed as Keras does."""
    table = {
        'glorotUniform': nn.init.xavier_uniform_,
        # Keras's he/leCun uniform: limit sqrt(6 / fan_in) and sqrt(3 / fan_in).
        'heUniform': lambda w: nn.init.kaiming_uniform_(w, nonlinearity='relu'),
        'leCunUniform': lambda w: nn.init.kaiming_uniform_(w, nonlinearity='linear'),
        'zeros': nn.init.zeros_,
        'ones': nn.init.ones_,
    }
    if name not in table:
        raise ValueError(f'initializer {name} is not translated (use --init torch)')
    return table[name]


def init_as_schema(module, layer):
    """Starts a Linear or Conv2d as tf.layers would: the schema's initializers, glorotUniform and zeros by default."""
    initializer(layer.get('kernelInitializer', 'glorotUniform'))(module.weight)
    if module.bias is not None:
        initializer(layer.get('biasInitializer', 'zeros'))(module.bias)


def build(schema, init='schema'):
    """Returns an nn.Sequential over NCHW (or N×features) tensors. The final softmax is left to the loss."""
    shape = schema['input']['shape']
    if len(shape) == 3:
        c, h, w = shape[2], shape[0], shape[1]
        cur = ('image', c, h, w)
    else:
        cur = ('flat', int(np.prod(shape)))
    mods = []
    for layer in schema['layers']:
        t = layer['type']
        if 'inputs' in layer:
            raise ValueError('graph (inputs) schemas are not translated')
        if t == 'conv2d':
            k, s = pair(layer.get('kernelSize')), pair(layer.get('strides', 1))
            padding = layer.get('padding', 'valid')
            conv = nn.Conv2d(cur[1], layer['filters'], k, stride=s, padding=0 if padding == 'valid' else 'same')
            if init == 'schema':
                init_as_schema(conv, layer)
            mods.append(conv)
            h = (cur[2] - k[0]) // s[0] + 1 if padding == 'valid' else cur[2]
            w = (cur[3] - k[1]) // s[1] + 1 if padding == 'valid' else cur[3]
            cur = ('image', layer['filters'], h, w)
            a = activation(layer.get('activation'))
            if a is not None:
                mods.append(a)
        elif t in ('maxPooling2d', 'averagePooling2d'):
            p = pair(layer.get('poolSize', 2))
            s = pair(layer.get('strides', p))
            mods.append((nn.MaxPool2d if t == 'maxPooling2d' else nn.AvgPool2d)(p, stride=s))
            cur = ('image', cur[1], (cur[2] - p[0]) // s[0] + 1, (cur[3] - p[1]) // s[1] + 1)
        elif t == 'flatten':
            mods.append(nn.Flatten())
            cur = ('flat', int(np.prod(cur[1:])))
        elif t == 'dropout':
            mods.append(nn.Dropout(layer['rate']))
        elif t == 'activation':
            a = activation(layer['activation'])
            if a is not None:
                mods.append(a)
        elif t == 'dense':
            if cur[0] != 'flat':
                raise ValueError('dense on an image tensor is not translated')
            linear = nn.Linear(cur[1], layer['units'])
            if init == 'schema':
                init_as_schema(linear, layer)
            mods.append(linear)
            cur = ('flat', layer['units'])
            a = activation(layer.get('activation'))
            if a is not None:
                mods.append(a)
        else:
            raise ValueError(f'layer type {t} is not translated')
    return nn.Sequential(*mods), len(shape) == 3


def optimizer(params, spec, init):
    spec = {'type': spec} if isinstance(spec, str) else (spec or {'type': 'adam'})
    lr = spec.get('learningRate', 0.001 if spec['type'] in ('adam', 'rmsprop') else 0.01)
    if spec['type'] == 'adam':
        # tfjs's Adam divides by sqrt(v) + 1e-7 unless the schema sets epsilon; PyTorch's default is 1e-8.
        eps = spec.get('epsilon', 1e-7) if init == 'schema' else 1e-8
        return torch.optim.Adam(params, lr=lr, eps=eps)
    if spec['type'] == 'sgd':
        return torch.optim.SGD(params, lr=lr, momentum=spec.get('momentum', 0))
    if spec['type'] == 'rmsprop':
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.Adagrad(params, lr=lr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('schema')
    ap.add_argument('mnist_dir')
    ap.add_argument('--samples', type=int, default=60000)
    ap.add_argument('--train-indices')
    ap.add_argument('--test-indices')
    ap.add_argument('--epochs', type=int, default=1)
    ap.add_argument('--test', type=int, default=10000)
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    ap.add_argument('--init', default='schema', choices=['schema', 'torch'])
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == 'cuda' and not torch.cuda.is_available():
        print(json.dumps({'unsupported': 'PyTorch sees no CUDA GPU'}))
        return
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if args.device == 'cuda' else (lambda: None)
    schema = json.load(open(args.schema))
    training = schema.get('training', {})
    batch = training.get('batchSize', 32)
    torch.manual_seed(training.get('seed', 42))
    try:
        model, image = build(schema, args.init)
    except ValueError as e:
        print(json.dumps({'unsupported': str(e)}))
        return
    train = np.fromfile(args.train_indices, dtype='<i4') if args.train_indices else slice(0, args.samples)
    test = np.fromfile(args.test_indices, dtype='<i4') if args.test_indices else slice(0, args.test)
    x = read_idx(f'{args.mnist_dir}/train-images-idx3-ubyte')[train].astype(np.float32) / 255.0
    y = read_idx(f'{args.mnist_dir}/train-labels-idx1-ubyte')[train].astype(np.int64)
    tx = read_idx(f'{args.mnist_dir}/t10k-images-idx3-ubyte')[test].astype(np.float32) / 255.0
    ty = read_idx(f'{args.mnist_dir}/t10k-labels-idx1-ubyte')[test].astype(np.int64)
    shape = (-1, 1, 28, 28) if image else (-1, 784)
    x, tx = torch.from_numpy(x).reshape(shape).to(device), torch.from_numpy(tx).reshape(shape).to(device)
    y, ty = torch.from_numpy(y).to(device), torch.from_numpy(ty).to(device)
    model = model.to(device)
    opt = optimizer(model.parameters(), training.get('optimizer'), args.init)
    loss_fn = nn.CrossEntropyLoss()
    epoch_times = []
    cpu_times = []  # this process's CPU time (all threads): on a loaded machine, wall time also counts waiting
    for _ in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x), device=device)
        sync()
        start = time.perf_counter()
        cpu_start = time.process_time()
        for i in range(0, len(x), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        sync()
        epoch_times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    model.eval()
    with torch.no_grad():
        accuracy = (model(tx).argmax(1) == ty).float().mean().item()
    print(json.dumps({
        'samples_per_sec': len(x) * args.epochs / sum(epoch_times),
        'samples_per_cpu_sec': len(x) * args.epochs / max(1e-9, sum(cpu_times)),
        'test_accuracy': accuracy,
        'threads': torch.get_num_threads(),
        'torch': torch.__version__,
        'device': args.device,
        'init': args.init,
        'gpu': torch.cuda.get_device_name(0) if args.device == 'cuda' else None,
    }))


if __name__ == '__main__':
    sys.exit(main())
