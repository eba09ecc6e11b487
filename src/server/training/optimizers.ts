/**
 * The optimizers a schema can name, with their options and tfjs defaults. Options that an optimizer does
 * not use are ignored (the schema core reports them as warnings where it wants to).
 */
import * as tf from '@tensorflow/tfjs';
import { FusedAdamOptimizer } from './webgpuAdam';
import { TRAINING_DEFAULTS, type OptimizerSpec, type OptimizerType } from '../../shared/schema/types';

/** Learning rates used when the schema gives none (those of Keras). */
export const DEFAULT_LEARNING_RATES: Record<OptimizerType, number> = {
  sgd: 0.01,
  adam: 0.001,
  rmsprop: 0.001,
  adagrad: 0.01,
};

export function normalizeOptimizer(
  spec: OptimizerSpec | OptimizerType | undefined,
): Required<Pick<OptimizerSpec, 'type' | 'learningRate'>> & OptimizerSpec {
  const given: OptimizerSpec =
    spec === undefined ? TRAINING_DEFAULTS.optimizer : typeof spec === 'string' ? { type: spec } : spec;
  if (!(given.type in DEFAULT_LEARNING_RATES)) {
    throw new Error(`training.optimizer.type: unknown optimizer "${given.type}"; use sgd, adam, rmsprop or adagrad`);
  }
  const learningRate = given.learningRate ?? DEFAULT_LEARNING_RATES[given.type];
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
    throw new Error(
      `training.optimizer.learningRate: ${learningRate} must be a positive number, e.g. ${DEFAULT_LEARNING_RATES[given.type]}`,
    );
  }
  return { ...given, learningRate };
}

export function createOptimizer(spec: OptimizerSpec | OptimizerType | undefined): tf.Optimizer {
  const o = normalizeOptimizer(spec);
  switch (o.type) {
    case 'sgd':
      // tfjs splits SGD with momentum into its own class; momentum 0 is plain SGD.
      return o.momentum ? tf.train.momentum(o.learningRate, o.momentum) : tf.train.sgd(o.learningRate);
    case 'adam':
      // tfjs's Adam, in 3 kernels per variable instead of 14 on webgpu and on wasm with SIMD (webgpuAdam.ts).
      return new FusedAdamOptimizer(o.learningRate, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.epsilon);
    case 'rmsprop':
      return tf.train.rmsprop(o.learningRate, o.decay ?? o.rho ?? 0.9, o.momentum ?? 0, o.epsilon, o.centered ?? false);
    case 'adagrad':
      return tf.train.adagrad(o.learningRate, o.initialAccumulatorValue ?? 0.1);
    default: {
      const never: never = o.type;
      throw new Error(`unknown optimizer ${String(never)}`);
    }
  }
}
