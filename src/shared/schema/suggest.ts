/**
 * "Did you mean": the closest known name to a misspelt one, by edit distance on a normalized form
 * (case, `_` and `-` ignored, so Keras' `kernel_size` and `Conv2D` find `kernelSize` and `conv2d`).
 */

function normalize(word: string): string {
  return word.toLowerCase().replace(/[_\-\s]/g, '');
}

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of neighbours ("mnsit" → "mnist"
 * is one edit): the optimal string alignment distance.
 */
export function editDistance(a: string, b: string): number {
  // Three rows: two before the current one, for swaps.
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = new Array<number>(b.length + 1);
  let curr = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    curr[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      curr[j] = Math.min(prev[j] + 1, curr[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        curr[j] = Math.min(curr[j], before[j - 2] + 1);
    }
    [before, prev, curr] = [prev, curr, before];
  }
  return prev[b.length];
}

/** Longest word (and candidate) compared: edit distance costs the product of the two lengths. */
const MAX_WORD_LENGTH = 64;

/**
 * The candidate closest to `word`, or `undefined` when none is close enough to be a plausible typo.
 * `aliases` maps other common names (normalized) to a candidate, e.g. `maxpool2d` → `maxPooling2d`.
 */
export function closestMatch(
  word: string,
  candidates: Iterable<string>,
  aliases: Readonly<Record<string, string>> = {},
): string | undefined {
  // Names are short; a long word is no typo, and comparing it would cost its length squared per candidate.
  if (word.length > MAX_WORD_LENGTH) return undefined;
  const w = normalize(word);
  if (w === '') return undefined;
  if (Object.prototype.hasOwnProperty.call(aliases, w)) return aliases[w];
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (candidate.length > MAX_WORD_LENGTH) continue;
    const c = normalize(candidate);
    if (c === w) return candidate;
    // A clear abbreviation ("batchnorm" for "batchNormalization") counts as close.
    const d =
      w.length >= 4 && c.startsWith(w) ? 1 : Math.abs(w.length - c.length) > limit ? limit + 1 : editDistance(w, c);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `; did you mean "conv2d"?` or an empty string. */
export function didYouMean(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : `; did you mean ${JSON.stringify(suggestion)}?`;
}
