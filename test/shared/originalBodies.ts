/** Bodies of the original Stitch's `POST /api/train`, shared by the converter, route and browser tests. */

/** The body of the original's API documentation. */
export const DOCUMENTED_BODY = {
  architecture: {
    input_size: 784,
    layers: [{ type: 'linear', in: 784, out: 128 }, { type: 'relu' }, { type: 'linear', in: 128, out: 10 }],
  },
  hyperparams: {
    epochs: 5,
    batch_size: 64,
    optimizer: { type: 'sgd', lr: 0.1, momentum: 0.0 },
    loss: 'cross_entropy',
    seed: null,
    train_split: 0.9,
    shuffle: true,
    max_samples: 4096,
  },
};

/** What the original's frontend builds for a small CNN: conv + activations + pool + flatten + linear + dropout. */
export const FRONTEND_CNN = {
  input_channels: 1,
  input_height: 28,
  input_width: 28,
  layers: [
    { type: 'conv2d', in_channels: 1, out_channels: 8, kernel_size: 3, stride: 1, padding: 1 },
    { type: 'relu' },
    { type: 'maxpool2d', kernel_size: 2, stride: 2, padding: 0 },
    { type: 'conv2d', in_channels: 8, out_channels: 8, kernel_size: 3, stride: 1, padding: 'same' },
    { type: 'gelu' },
    { type: 'maxpool2d', kernel_size: 2, stride: 2, padding: 0 },
    { type: 'flatten' },
    { type: 'linear', in: 392, out: 32 },
    { type: 'tanh' },
    { type: 'dropout', p: 0.25 },
    { type: 'linear', in: 32, out: 10 },
  ],
};

/** A dense-only network as the frontend builds it: linear layers, activations and a dropout. */
export const DENSE_ONLY = {
  input_size: 784,
  layers: [
    { type: 'linear', in: 784, out: 32 },
    { type: 'sigmoid' },
    { type: 'dropout', p: 0.1 },
    { type: 'linear', in: 32, out: 16 },
    { type: 'relu' },
    { type: 'linear', in: 16, out: 10 },
  ],
};
