/**
 * A channel per run: the run's event history plus the sessions following it. New sessions first get the
 * history after their last id, then live events, so a client that reconnects with `Last-Event-ID` sees
 * every event exactly once. Everything here is synchronous, so no event can slip in between a replay and
 * the subscription that follows it.
 */
import type { SseSession } from './session';

export interface ChannelEvent {
  id: number;
  event: string;
  data: unknown;
}

export class SseChannel<E extends ChannelEvent = ChannelEvent> {
  private readonly sessions = new Set<SseSession>();
  private endedFlag: boolean;

  /** `history` is kept and appended to by `publish`; pass `ended` for a stream that is already complete. */
  constructor(
    private readonly history: E[] = [],
    ended = false,
  ) {
    this.endedFlag = ended;
  }

  get ended(): boolean {
    return this.endedFlag;
  }

  get lastId(): number {
    return this.history.length ? this.history[this.history.length - 1].id : 0;
  }

  /** The events with an id greater than `afterId`. */
  eventsAfter(afterId: number): E[] {
    return this.history.filter((e) => e.id > afterId);
  }

  /** Replays the history after `afterId`, then follows live events; an ended channel closes the session. */
  subscribe(session: SseSession, afterId = 0): void {
    for (const event of this.eventsAfter(afterId)) session.send(event);
    if (this.endedFlag) {
      session.close();
      return;
    }
    this.sessions.add(session);
    session.onClose(() => this.sessions.delete(session));
  }

  /** Records an event and sends it to every session. */
  publish(event: E): void {
    if (this.endedFlag) throw new Error(`event ${event.event} #${event.id} published after the stream ended`);
    this.history.push(event);
    for (const session of this.sessions) session.send(event);
  }

  /** The stream is complete: closes every session (clients see the end of the response). */
  end(): void {
    this.endedFlag = true;
    for (const session of [...this.sessions]) session.close();
    this.sessions.clear();
  }
}
