/**
 * The chat tab: the conversation about the bound schema document, rendered as Markdown (marked, then
 * DOMPurify: the model's text is never trusted as HTML), a stop button while a reply streams, errors with
 * the action that fixes them (no key → "Set OpenAI API Key"), and for a proposed schema a compact card
 * (where each layer goes, the parameter delta; the JSON itself stays out of the message) with Apply at its
 * top (the extension's diff review, one undoable edit) and Dismiss. Undoing an applied proposal in the
 * document brings its Apply back.
 */
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import type { ChatStreamEvent } from '../../src/shared/protocol';
import type { PanelCommand } from '../../src/shared/webviewProtocol';
import { button, el } from '../dom';
import {
  applyChatEvent,
  ChatConversations,
  clearChat,
  startRequest,
  stopRequest,
  syncApplied,
  type ChatMessage,
  type Proposal,
} from './chatStore';
import { hideSchemaBlocks, paramDelta } from './proposalSummary';

export interface ChatCallbacks {
  send(requestId: number, text: string): void;
  stop(requestId: number): void;
  apply(requestId: number, schema: unknown): void;
  clear(): void;
  command(command: PanelCommand): void;
}

export class ChatView {
  readonly element: HTMLElement;
  private readonly chats = new ChatConversations();
  private readonly context = el('div', 'chat-context');
  private readonly log = el('div', 'chat-log');
  private readonly input: HTMLElement & { value: string };
  private readonly sendButton: HTMLElement;
  private readonly stopButton: HTMLElement;
  /** Each shown message's element and body, so a token redraws one body, not the conversation. */
  private readonly shown = new Map<ChatMessage, { box: HTMLElement; body: HTMLElement }>();
  private readonly textChanged = new Set<ChatMessage>();
  private frame = 0;

  constructor(
    parent: HTMLElement,
    private readonly callbacks: ChatCallbacks,
  ) {
    this.element = el('div', 'chat');
    this.log.setAttribute('role', 'log');
    this.log.setAttribute('aria-live', 'polite');
    const form = el('div', 'chat-input');
    this.input = document.createElement('vscode-textarea');
    this.input.setAttribute(
      'placeholder',
      'Ask about this architecture, e.g. "add a dropout layer before the output" (Enter to send, Shift+Enter for a new line)',
    );
    this.input.setAttribute('rows', '3');
    this.input.setAttribute('aria-label', 'Message');
    this.input.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        this.send();
      }
    });
    this.sendButton = button('Send', 'send', () => this.send(), false);
    this.stopButton = button('Stop', 'debug-stop', () => this.stop());
    this.stopButton.hidden = true;
    const clear = button('Clear', 'clear-all', () => {
      // Stop the reply first: otherwise its late tokens and its history entry would outlive the clear.
      const active = clearChat(this.chats.current);
      if (active !== null) callbacks.stop(active);
      callbacks.clear();
      this.render();
    });
    const buttons = el('div', 'chat-buttons');
    buttons.append(this.sendButton, this.stopButton, clear);
    form.append(this.input, buttons);
    this.element.append(this.context, this.log, form);
    parent.appendChild(this.element);
    this.render();
  }

  /** The file the chat is about; switching files shows that file's conversation. */
  setContext(fileName: string | null, schema: unknown): void {
    const key = fileName ?? '';
    const switched = key !== this.chats.key;
    this.chats.key = key;
    this.chats.current.schema = schema;
    this.context.textContent = fileName
      ? `About ${fileName}`
      : 'Open a *.stitch.json file: the chat works on the schema you are editing.';
    if (switched) this.render();
    else for (const m of syncApplied(this.chats.current, schema)) this.redraw(m);
  }

  onEvent(requestId: number, event: ChatStreamEvent): void {
    const state = this.chats.ofRequest(requestId);
    if (!state) return;
    const change = applyChatEvent(state, requestId, event, state.schema);
    if (!change || state !== this.chats.current) return;
    if (change.what === 'text') {
      this.textChanged.add(change.message);
      this.scheduleFrame();
    } else {
      this.textChanged.delete(change.message);
      this.redraw(change.message);
      this.updateControls();
    }
  }

  onApplied(requestId: number, outcome: 'applied' | 'rejected' | 'failed', message?: string): void {
    const m = this.chats
      .ofRequest(requestId)
      ?.messages.find((x) => x.role === 'assistant' && x.requestId === requestId);
    if (!m?.proposal) return;
    m.proposal.status = outcome;
    if (message) m.error = { message };
    this.redraw(m);
  }

  private send(): void {
    const text = this.input.value.trim();
    const state = this.chats.current;
    if (!text || state.active !== null) return;
    const requestId = startRequest(state, text);
    this.input.value = '';
    this.callbacks.send(requestId, text);
    this.render();
  }

  private stop(): void {
    const state = this.chats.current;
    if (state.active === null) return;
    const id = state.active;
    this.callbacks.stop(id);
    stopRequest(state, id);
    const m = state.messages.find((x) => x.role === 'assistant' && x.requestId === id);
    if (m) this.redraw(m);
    this.updateControls();
  }

  /** Tokens can come hundreds a second: redraw the growing message's body once per frame, nothing else. */
  private scheduleFrame(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const atBottom = this.isAtBottom();
      for (const m of this.textChanged) {
        const shown = this.shown.get(m);
        if (shown) this.fillBody(shown.body, m);
      }
      this.textChanged.clear();
      if (atBottom) this.log.scrollTop = this.log.scrollHeight;
    });
  }

  private isAtBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
  }

  private updateControls(): void {
    const streaming = this.chats.current.active !== null;
    this.stopButton.hidden = !streaming;
    this.sendButton.toggleAttribute('disabled', streaming);
  }

  /** Replaces one message's element (its proposal card or error changed); the others stay as they are. */
  private redraw(m: ChatMessage): void {
    const old = this.shown.get(m);
    if (!old) return;
    const atBottom = this.isAtBottom();
    const box = this.renderMessage(m);
    old.box.replaceWith(box);
    if (atBottom) this.log.scrollTop = this.log.scrollHeight;
  }

  /** The whole conversation: on a file switch, a new message, a clear. */
  private render(): void {
    this.updateControls();
    const atBottom = this.isAtBottom();
    this.log.replaceChildren();
    this.shown.clear();
    this.textChanged.clear();
    const messages = this.chats.current.messages;
    if (messages.length === 0)
      this.log.appendChild(
        el(
          'p',
          'hint',
          'Ask the assistant to explain or change this architecture. A proposed change is shown as a preview first; nothing changes until you apply it.',
        ),
      );
    for (const m of messages) this.log.appendChild(this.renderMessage(m));
    if (atBottom) this.log.scrollTop = this.log.scrollHeight;
  }

  private fillBody(body: HTMLElement, m: ChatMessage): void {
    if (m.role === 'assistant') {
      const text = hideSchemaBlocks(m.text);
      body.innerHTML = DOMPurify.sanitize(marked.parse(text || (m.streaming ? '…' : ''), { async: false, gfm: true }));
    } else {
      body.textContent = m.text;
    }
  }

  private renderMessage(m: ChatMessage): HTMLElement {
    const box = el('div', `chat-message ${m.role}`);
    box.appendChild(el('div', 'chat-role', m.role === 'user' ? 'You' : 'Stitch'));
    const body = el('div', 'chat-body');
    this.fillBody(body, m);
    box.appendChild(body);
    this.shown.set(m, { box, body });
    if (m.proposal) box.appendChild(this.renderProposal(m, m.proposal));
    if (m.error) {
      const error = el('div', 'chat-error');
      error.setAttribute('role', 'alert');
      error.append(el('span', 'codicon codicon-error'), document.createTextNode(` ${m.error.message}`));
      if (m.error.code === 'no-key' || m.error.code === 'auth') {
        error.appendChild(button('Set OpenAI API Key', 'key', () => this.callbacks.command('setApiKey'), false));
      }
      box.appendChild(error);
    }
    return box;
  }

  private renderProposal(m: ChatMessage, p: Proposal): HTMLElement {
    const card = el('div', `proposal ${p.valid ? '' : 'invalid'}`);
    if (!p.applicable) {
      // Nothing to compare or apply (the model's block was not valid JSON, even after the repair round).
      card.appendChild(el('h3', '', 'The proposal could not be read'));
      for (const e of p.errors)
        card.appendChild(el('div', 'chat-error', e.path ? `${e.path}: ${e.message}` : e.message));
      card.appendChild(el('span', 'hint', 'Ask again, e.g. "give the complete schema as JSON".'));
      return card;
    }
    // The actions come first, so Apply is visible without scrolling past the summary.
    const head = el('div', 'proposal-head');
    head.appendChild(el('h3', '', p.valid ? 'Proposed change' : 'Proposed change (has problems)'));
    const actions = el('div', 'actions');
    if (p.status === 'pending' || p.status === 'rejected' || p.status === 'failed') {
      actions.append(
        button(
          p.status === 'pending' ? 'Apply…' : 'Apply again…',
          'check',
          () => {
            p.status = 'applying';
            this.callbacks.apply(m.requestId, p.schema);
            this.redraw(m);
          },
          false,
        ),
        button('Dismiss', 'close', () => {
          p.status = 'dismissed';
          this.redraw(m);
        }),
      );
    }
    const status = {
      applying: 'Review the diff in the editor…',
      applied: 'Applied: Ctrl+Z in the schema undoes it (Apply then shows again).',
      rejected: 'Not applied.',
      dismissed: 'Dismissed.',
      failed: 'Could not apply.',
      pending: '',
    }[p.status];
    if (status) actions.appendChild(el('span', 'hint proposal-status', status));
    head.appendChild(actions);
    card.appendChild(head);
    card.appendChild(el('div', 'proposal-params', paramDelta(p.summary.params)));
    const list = el('ul', 'proposal-diff');
    const icons = { added: 'diff-added', removed: 'diff-removed', changed: 'diff-modified' };
    for (const line of p.summary.lines) {
      const li = el('li', line.kind);
      li.append(el('span', `codicon codicon-${icons[line.kind]}`), document.createTextNode(` ${line.text}`));
      list.appendChild(li);
    }
    if (!list.children.length) list.appendChild(el('li', '', 'no changes to the layers'));
    card.appendChild(list);
    for (const e of p.errors) card.appendChild(el('div', 'chat-error', `${e.path}: ${e.message}`));
    return card;
  }
}
