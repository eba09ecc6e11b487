/**
 * One chat turn: streams the model's answer as `token` events the moment each chunk arrives, then looks for
 * a proposed schema, validates it with the schema core and sends it as `schema` (after at most one automatic
 * repair round when it is invalid), then `done`; or an `error` a person can act on. The caller's signal
 * (the client went away) aborts the upstream request at once.
 */
import type OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ChatEventMap, ChatHistoryMessage, ChatProposal, SchemaError } from '../../shared/protocol';
import { analyzeSchema } from '../../shared/schema';
import { AnswerTooLongError, noKeyFailure, scrub, StreamStalledError, toChatFailure, upstreamDetail } from './errors';
import { extractProposal, type Extraction } from './extract';
import { answerForHistory } from './historyAnswer';
import { systemPrompt, PROPOSAL_FENCE, type RunHistorySource } from './prompt';
import { createClient, needsKey, type ProviderConfig } from './provider';

/** The note streamed while the repair round runs; clients drop it from the answer they keep as history. */
export function repairNote(problems: number): string {
  return `\n\n_The proposal has ${problems} problem${problems === 1 ? '' : 's'}; asking the model to fix ${problems === 1 ? 'it' : 'them'}…_\n`;
}

/**
 * Longest answer read from the model, in characters (tool-call arguments included). A proposal is parsed and
 * checked on the server's event loop (~9 ms per 100 KB on the 2-core development machine), and no model writes
 * a schema this long; an endpoint that sends more is stopped (docs/chat.md).
 */
export const MAX_ANSWER_CHARS = 256 * 1024;

export type ChatEmit = <K extends keyof ChatEventMap>(event: K, data: ChatEventMap[K]) => void;

export interface ChatTurn {
  message: string;
  /** The current schema with the validator's answer, for the prompt (prepare.ts, off the event loop). */
  current: string;
  /** Already within the history budgets (history.ts `boundHistory`, applied where the body is read). */
  history: ChatHistoryMessage[];
  schemaPath?: string;
  schemaName?: string;
}

export interface ChatTurnDeps {
  config: ProviderConfig;
  runs?: RunHistorySource;
  /** Aborted when the client disconnects. */
  signal: AbortSignal;
  emit: ChatEmit;
  log: (line: string) => void;
  /** A client that speaks another format (src/server/chat/originalChat.ts); default: our schema. */
  proposals?: ProposalFormat;
}

/** How proposals are read for a client of another format: as our schema, plus the problems that format adds. */
export interface ProposalFormat {
  /** Appended to the system prompt: what the client can show, and the problems of its current schema. */
  promptNote: string;
  read(value: Record<string, unknown>): { schema: Record<string, unknown>; errors: SchemaError[] };
}

export async function runChatTurn(turn: ChatTurn, deps: ChatTurnDeps): Promise<void> {
  const { config, signal, emit } = deps;
  if (needsKey(config)) return emit('error', noKeyFailure(config));
  const client = createClient(config);
  const messages: ChatCompletionMessageParam[] = [
    {
      role: 'system',
      content: [
        await systemPrompt({
          current: turn.current,
          schemaPath: turn.schemaPath,
          schemaName: turn.schemaName,
          runs: deps.runs,
        }),
        deps.proposals?.promptNote,
      ]
        .filter(Boolean)
        .join('\n\n'),
    },
    ...turn.history,
    { role: 'user', content: turn.message },
  ];
  let answer: string;
  try {
    answer = await streamAnswer(client, config, messages, signal, (content) => emit('token', { content }));
  } catch (err) {
    if (signal.aborted) return;
    const failure = toChatFailure(err, config);
    deps.log(`chat: ${failure.code}: ${failure.error} (upstream: ${upstreamDetail(err, config)})`);
    return emit('error', failure);
  }

  // `done` carries the answer to keep as history and the final proposal, so clients need not parse either.
  const finish = (proposal: ChatProposal | null): void => {
    if (proposal) emit('schema', proposal);
    emit('done', { answer: answerForHistory(answer, proposal?.proposedSchema), proposal });
  };
  const first = extractProposal(answer);
  if (first.kind === 'none') return finish(null);
  const checked = check(first, deps.proposals);
  if (checked.valid) return finish(checked);

  // One bounded repair round: the model sees the validator's errors and answers with a corrected schema.
  emit('token', { content: repairNote(checked.errors.length) });
  let repaired = checked;
  try {
    const repairAnswer = await streamAnswer(
      client,
      config,
      [...messages, { role: 'assistant', content: answer }, { role: 'user', content: repairRequest(checked.errors) }],
      signal,
      () => undefined,
    );
    const second = extractProposal(repairAnswer);
    if (second.kind !== 'none') repaired = check(second, deps.proposals);
  } catch (err) {
    if (signal.aborted) return;
    deps.log(`chat: the repair round failed: ${scrub((err as Error).message, config)}`);
  }
  finish(repaired);
}

/**
 * The validator's verdict on an extracted proposal (errors only; warnings do not block applying it).
 * `proposedSchema` is null when the block is not valid JSON.
 */
function check(extraction: Exclude<Extraction, { kind: 'none' }>, format?: ProposalFormat): ChatEventMap['schema'] {
  if (extraction.kind === 'unparsable') {
    // No schema to show or apply: a client would read a string as "every layer removed".
    return {
      proposedSchema: null,
      valid: false,
      errors: [{ path: '', message: `the proposal is not valid JSON: ${extraction.error}` }],
    };
  }
  const { schema, errors: formatErrors } = format
    ? format.read(extraction.value)
    : { schema: extraction.value, errors: [] };
  const analysis = analyzeSchema(schema);
  const errors: SchemaError[] = [
    ...formatErrors,
    ...analysis.problems.filter((p) => p.severity === 'error').map((p) => ({ path: p.path, message: p.message })),
  ];
  return { proposedSchema: schema, valid: errors.length === 0, errors };
}

function repairRequest(errors: SchemaError[]): string {
  const list = errors
    .slice(0, 30)
    .map((e) => `- ${e.path ? `${e.path}: ` : ''}${e.message}`)
    .join('\n');
  return `Stitch's validator found these problems in your proposal:\n${list}\n\nReply with only the corrected, complete schema in one ${PROPOSAL_FENCE} block.`;
}

/**
 * Streams one completion, handing each piece of text to `onText` as it arrives, and returns the whole text.
 * A watchdog aborts a stream that stops sending for `timeoutMs` (the SDK's timeout ends with the headers).
 */
async function streamAnswer(
  client: OpenAI,
  config: ProviderConfig,
  messages: ChatCompletionMessageParam[],
  signal: AbortSignal,
  onText: (text: string) => void,
): Promise<string> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  signal.addEventListener('abort', onAbort);
  // Set by the idle timer's callback: a `boolean`, not the `false` TypeScript would narrow it to here.
  let stalled = false as boolean;
  let watchdog: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, config.timeoutMs);
  };
  try {
    arm();
    const stream = await client.chat.completions.create(
      { model: config.model, temperature: config.temperature, messages, stream: true },
      { signal: controller.signal },
    );
    let text = '';
    const toolArguments: string[] = [];
    let chars = 0;
    for await (const chunk of stream) {
      arm();
      // A chunk may carry no choice at all (a usage-only chunk at the end of some providers' streams).
      const delta = chunk.choices.at(0)?.delta;
      chars +=
        (delta?.content?.length ?? 0) +
        (delta?.tool_calls ?? []).reduce((n, c) => n + (c.function?.arguments?.length ?? 0), 0);
      if (chars > MAX_ANSWER_CHARS) {
        controller.abort();
        throw new AnswerTooLongError(MAX_ANSWER_CHARS);
      }
      if (delta?.content) {
        text += delta.content;
        onText(delta.content);
      }
      // A provider that answers with a tool call (structured output) streams its JSON arguments in pieces.
      for (const call of delta?.tool_calls ?? []) {
        if (call.function?.arguments)
          toolArguments[call.index] = (toolArguments[call.index] ?? '') + call.function.arguments;
      }
    }
    // The SDK ends the iteration quietly when its request is aborted; an answer cut short must not pass as whole.
    if (controller.signal.aborted)
      throw stalled && !signal.aborted ? new StreamStalledError(config.timeoutMs) : new Error('aborted');
    // Tool-call JSON is treated like a fenced block of the answer, so one extractor handles both.
    for (const args of toolArguments) if (args) text += `\n${PROPOSAL_FENCE}\n${args}\n\`\`\`\n`;
    return text;
  } catch (err) {
    if (stalled && !signal.aborted) throw new StreamStalledError(config.timeoutMs);
    throw err;
  } finally {
    clearTimeout(watchdog);
    signal.removeEventListener('abort', onAbort);
  }
}
