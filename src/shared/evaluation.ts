/**
 * The evaluation of a trained model on its held-out test samples: accuracy, the confusion matrix,
 * per-class precision / recall / F1, and a selection of samples (the most confidently wrong first, then
 * correct ones) with their inputs for display. Pure: the trainer computes it from the test predictions, the
 * panel renders it; see docs/server.md (the `evaluation` event) and docs/webview.md.
 */

export interface EvaluationSample {
  /** Index in the run's test split. */
  index: number;
  label: number;
  prediction: number;
  /** Probability of the predicted class. */
  confidence: number;
  /** For image datasets: the input as bytes (0..255), row-major height × width × channels, base64. */
  image?: { width: number; height: number; channels: number; base64: string };
  /** For other inputs (tabular, 2-D points): the feature values. */
  features?: number[];
}

export interface ClassMetrics {
  name: string;
  /** null where the class was never predicted (precision) or never present (recall). */
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Test samples of this class. */
  support: number;
}

export interface Evaluation {
  samples: number;
  loss: number | null;
  accuracy: number;
  classes: string[];
  /** confusion[true][predicted] = count. */
  confusion: number[][];
  per_class: ClassMetrics[];
  /** Macro averages over classes where they are defined. */
  macro: { precision: number | null; recall: number | null; f1: number | null };
  /** The most confidently wrong samples first, then correct ones. */
  examples: EvaluationSample[];
  /** For each confusion cell "t,p": up to `perCell` sample indices (into the test split), most confident first. */
  cells: Record<string, number[]>;
}

export interface EvaluateOptions {
  /** Class names; default "0", "1", … */
  classNames?: string[] | null;
  loss?: number | null;
  /** Wrong and correct examples to keep (each). Default 16. */
  examples?: number;
  /** Sample indices kept per confusion cell. Default 12. */
  perCell?: number;
}

const mean = (values: (number | null)[]): number | null => {
  const defined = values.filter((v): v is number => v !== null);
  return defined.length > 0 ? defined.reduce((a, b) => a + b, 0) / defined.length : null;
};

/** `probabilities`: n × k row-major; `labels`: n class indices. */
export function evaluatePredictions(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
  options: EvaluateOptions = {},
): Evaluation {
  const n = labels.length;
  const names =
    options.classNames?.length === classes ? options.classNames : Array.from({ length: classes }, (_, i) => String(i));
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const predicted: { index: number; label: number; prediction: number; confidence: number }[] = [];
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probabilities[i * classes + c] > probabilities[i * classes + best]) best = c;
    const label = labels[i];
    confusion[label][best]++;
    if (best === label) correct++;
    predicted.push({ index: i, label, prediction: best, confidence: probabilities[i * classes + best] });
  }
  const per_class = names.map((name, c): ClassMetrics => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predictedAs > 0 ? tp / predictedAs : null;
    const recall = support > 0 ? tp / support : null;
    const f1 =
      precision !== null && recall !== null
        ? precision + recall > 0
          ? (2 * precision * recall) / (precision + recall)
          : 0
        : null;
    return { name, precision, recall, f1, support };
  });
  const byConfidence = [...predicted].sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  const keep = options.examples ?? 16;
  const wrong = byConfidence.filter((p) => p.prediction !== p.label).slice(0, keep);
  // Correct examples spread over the test set (every k-th), so they show all classes rather than the easiest.
  const right = predicted.filter((p) => p.prediction === p.label);
  const step = Math.max(1, Math.floor(right.length / keep));
  const correctShown = right.filter((_, i) => i % step === 0).slice(0, keep);
  const cells: Record<string, number[]> = {};
  const perCell = options.perCell ?? 12;
  for (const p of byConfidence) {
    const key = `${p.label},${p.prediction}`;
    const list = (cells[key] ??= []);
    if (list.length < perCell) list.push(p.index);
  }
  return {
    samples: n,
    loss: options.loss ?? null,
    accuracy: n > 0 ? correct / n : 0,
    classes: names,
    confusion,
    per_class,
    macro: {
      precision: mean(per_class.map((c) => c.precision)),
      recall: mean(per_class.map((c) => c.recall)),
      f1: mean(per_class.map((c) => c.f1)),
    },
    examples: [...wrong, ...correctShown],
    cells,
  };
}
