/**
 * Offsets ↔ line/character positions (0-based, UTF-16 code units, as VS Code and LSP count them).
 * Lines end at "\n", "\r\n" or a lone "\r".
 */

export interface Position {
  line: number;
  character: number;
}

/** Offsets at which each line starts. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 /* \r */) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    } else if (c === 10 /* \n */) {
      starts.push(i + 1);
    }
  }
  return starts;
}

/** Converts many offsets of one text quickly: the line starts are computed once, then binary search. */
export class LineIndex {
  private readonly starts: number[];
  constructor(private readonly text: string) {
    this.starts = lineStarts(text);
  }

  positionAt(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: clamped - this.starts[lo] };
  }

  offsetAt(position: Position): number {
    if (position.line < 0) return 0;
    if (position.line >= this.starts.length) return this.text.length;
    const start = this.starts[position.line];
    const end = position.line + 1 < this.starts.length ? this.starts[position.line + 1] : this.text.length;
    return Math.min(start + Math.max(0, position.character), end);
  }
}

/** The 0-based line and character of an offset (clamped to the text). */
export function offsetToPosition(text: string, offset: number): Position {
  return new LineIndex(text).positionAt(offset);
}

/** The offset of a 0-based line and character (clamped to the line and the text). */
export function positionToOffset(text: string, position: Position): number {
  return new LineIndex(text).offsetAt(position);
}
