/**
 * Live predictions without a backlog: at most one request in flight; what arrives meanwhile replaces the
 * input waiting for it, so a fast pen never queues stale drawings and the last drawing is always answered.
 * Pure: tested in test/webview/modelTabs.test.ts.
 */
export class LatestOnly<T> {
  private inFlight: number | null = null;
  private queued: { value: T } | null = null;
  private next = 1;

  constructor(private readonly send: (requestId: number, value: T) => void) {}

  /** Sends `value` now, or keeps it (replacing an older one) until the answer in flight arrives. */
  push(value: T): void {
    if (this.inFlight !== null) {
      this.queued = { value };
      return;
    }
    this.inFlight = this.next++;
    this.send(this.inFlight, value);
  }

  /** An answer arrived: true when it answers the request in flight (show it); then sends what waited. */
  answer(requestId: number): boolean {
    if (requestId !== this.inFlight) return false;
    this.inFlight = null;
    const waiting = this.queued;
    this.queued = null;
    if (waiting) this.push(waiting.value);
    return true;
  }

  /** Whether a newer answer is still to come. */
  get busy(): boolean {
    return this.inFlight !== null || this.queued !== null;
  }

  /** Forgets the request in flight and the waiting input (the run changed, the pad was cleared). */
  reset(): void {
    this.inFlight = null;
    this.queued = null;
  }
}
