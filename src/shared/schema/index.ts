/**
 * The pure schema core (docs/schema.md): parsing with positions, validation, shape inference, parameter counts,
 * the layer registry, the dataset catalog and the JSON Schema. No tf, no vscode, no Node APIs.
 */
export * from './types';
export { analyzeSchema, analyzeSchemaText, toValidateResponse, type Analysis, type AnalyzeOptions } from './analyze';
export {
  LIMIT_CODES,
  formatPath,
  formatProblem,
  type Problem,
  type ProblemCode,
  type Severity,
  type TextRange,
  type Segments,
} from './problems';
export {
  LAYERS,
  LAYER_TYPES,
  LAYER_KEYS,
  ACTIVATIONS,
  INITIALIZERS,
  PADDINGS,
  isLayerType,
  findParam,
  layerConfig,
  type LayerDef,
  type LayerCategory,
} from './layers';
export { checkParamValue, toPair, type ParamDef, type ParamKind } from './params';
export { INFERERS, formatShape, resolveAxis, type Shape, type InferResult } from './shapes';
export {
  DATASETS,
  DATASET_NAMES,
  isBuiltinDataset,
  builtinDatasetOf,
  describeDataset,
  datasetAcceptsShape,
  type BuiltinDataset,
  type DatasetInfo,
  type DatasetInfoProvider,
} from './datasets';
export {
  OPTIMIZERS,
  OPTIMIZER_TYPES,
  LOSSES,
  LOSS_NAMES,
  TRAINING_PARAMS,
  EARLY_STOPPING_PARAMS,
  type OptimizerDef,
} from './training';
export { buildGraph, schemaGraph, INPUT_INDEX, type Graph } from './graph';
export { closestMatch, editDistance } from './suggest';
export { buildJsonSchema } from './jsonSchema';
export * from './limits';
export { measureText, measureValue, nestingOffset, type Oversize } from './measure';
export type { ModelCost } from './budget';
export { makeLargeSchema, makeLargeSchemaText } from './large';
export { schemaReferenceMarkdown, schemaReferenceText } from './reference';
