/**
 * `stitch validate FILE`: every problem as `file:line:col: message` (1-based, as compilers print them, so
 * editors and CI annotate the exact place). Exit 1 when there is an error; warnings are printed but pass.
 */
import { readFileSync } from 'node:fs';
import { analyzeSchemaText, formatProblem, type Analysis } from '../../shared/schema';
import { offsetToPosition } from '../../shared/text';

export interface ValidateResult {
  exitCode: number;
  lines: string[];
}

/** Formats an analysis of `text` (read from `file`, as the user wrote it on the command line). */
export function formatAnalysis(file: string, text: string, analysis: Analysis): ValidateResult {
  const lines: string[] = [];
  let errors = 0;
  for (const problem of analysis.problems) {
    const position = problem.range ? offsetToPosition(text, problem.range.offset) : { line: 0, character: 0 };
    const severity = problem.severity === 'warning' ? 'warning: ' : '';
    if (problem.severity === 'error') errors++;
    lines.push(`${file}:${position.line + 1}:${position.character + 1}: ${severity}${formatProblem(problem)}`);
  }
  if (errors === 0) {
    const layers = Object.keys(analysis.shapes).length;
    lines.push(
      `${file}: valid (${layers} layer${layers === 1 ? '' : 's'}, ${analysis.params.toLocaleString('en-US')} parameters)`,
    );
  }
  return { exitCode: errors > 0 ? 1 : 0, lines };
}

export function validateFile(file: string): ValidateResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {
      exitCode: 2,
      lines: [`${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`],
    };
  }
  return formatAnalysis(file, text, analyzeSchemaText(text));
}
