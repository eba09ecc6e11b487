/**
 * The original Stitch's chat ("Stitchy") on `POST /api/chat`, unchanged (docs/chat.md, "The original's chat
 * format"). Its frontend sends `{ message, currentSchema, requestSchemaChange }` with `currentSchema` its
 * canvas graph (or null), and applies `proposedSchema` to the canvas, so it needs that graph back.
 *
 * The chat turn itself stays format-agnostic: the canvas is converted to our schema for the prompt and
 * validation off the event loop (prepare.ts); this module tells the model what the canvas can show, checks
 * proposals (in our format or the graph's)
 * for what the canvas cannot show so the repair round fixes that too, and turns the outgoing events into
 * the original's: `schema` `{ proposedSchema }` as a laid-out graph, `done` `{}`.
 */
import { isOriginalGraph, graphToSchema, schemaToGraph } from '../../shared/originalGraph';
import type { ChatEventMap, SchemaError } from '../../shared/protocol';
import type { PreparedChat } from './prepare';
import type { ChatEmit, ProposalFormat } from './turn';

/** Writes one event to the client's stream, whatever its payload. */
export type SendEvent = (event: keyof ChatEventMap, data: unknown) => void;

export interface OriginalChat {
  proposals: ProposalFormat;
  /** The turn's events, in the original's format. */
  emit(send: SendEvent): ChatEmit;
}

/**
 * The original's side of a turn, from the request as prepared off the event loop (prepare.ts: the canvas was
 * recognised, converted for the prompt, and capped in size there; it is parsed again here to lay out proposals).
 */
export function originalChat(request: NonNullable<PreparedChat['original']>): OriginalChat {
  const canvas: unknown = request.canvas === null ? undefined : JSON.parse(request.canvas);
  const proposals: ProposalFormat = {
    promptNote: promptNote(request.canvasErrors, request.changeRequested),
    read(value) {
      const fromGraph = isOriginalGraph(value) ? graphToSchema(value) : undefined;
      const schema = fromGraph ? (fromGraph.schema as unknown as Record<string, unknown>) : value;
      return { schema, errors: [...(fromGraph?.errors ?? []), ...schemaToGraph(schema, canvas).errors] };
    },
  };
  return {
    proposals,
    emit: (send) => (event, data) => {
      if (event === 'schema') {
        const proposal = data as ChatEventMap['schema'];
        if (proposal.valid && proposal.proposedSchema) {
          send('schema', { proposedSchema: schemaToGraph(proposal.proposedSchema, canvas).graph });
        } else {
          // The original would apply whatever it gets; an invalid proposal is described, not offered.
          send('token', { content: unusableNote(proposal.errors) });
        }
      } else if (event === 'done') {
        send('done', {});
      } else {
        send(event, data);
      }
    },
  };
}

function promptNote(canvasErrors: SchemaError[], changeRequested: boolean): string {
  const lines = [
    'The user works in the original Stitch web app, not in VS Code: its canvas shows the network as one chain ' +
      'Input → Convolution (conv2d), Pooling (maxPooling2d), Flatten, Dense, Dropout → Output (a last dense layer with ' +
      'activation softmax). The current schema above was converted from that canvas; layer ids are the canvas node ids.',
    'A proposal must stay within what the canvas can show: only conv2d, maxPooling2d, flatten, dense and dropout layers, ' +
      'one chain (no "inputs"), square kernel and pool sizes (one number), activations relu, sigmoid, tanh or linear, and ' +
      'a last dense layer with activation softmax. Write it in the schema format above; it is converted to the canvas for the user.',
  ];
  if (canvasErrors.length > 0) {
    lines.push(
      'Problems of the canvas itself (paths in its graph { layers: { id: { kind, params } }, edges }):\n' +
        canvasErrors
          .slice(0, 30)
          .map((e) => `- ${e.path ? `${e.path}: ` : ''}${e.message}`)
          .join('\n'),
    );
  }
  if (changeRequested) lines.push('The user asked for a change to the canvas: propose the complete new schema.');
  return lines.join('\n');
}

function unusableNote(errors: SchemaError[]): string {
  const list = errors
    .slice(0, 10)
    .map((e) => `- ${e.path ? `${e.path}: ` : ''}${e.message}`)
    .join('\n');
  return `\n\n_The proposal still has problems, so it is not offered to apply; ask again or change the canvas by hand:_\n${list}\n`;
}
