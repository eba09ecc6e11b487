/**
 * The chat requests the Stitch panel has in flight, and which schema file each was about (no `vscode`
 * here: unit-tested in Node). Stop aborts one request, Clear all of one file's, and a proposal is applied
 * to the file its request was about, whichever file is active when Apply is clicked.
 */
export class ChatRequests {
  private readonly inFlight = new Map<number, AbortController>();
  /** requestId → the document's URI; kept after the reply ends (Apply comes later), the latest few only. */
  private readonly documents = new Map<number, string>();

  constructor(private readonly keep = 200) {}

  /** A request starts: its controller (a request still running under the same id is aborted first). */
  start(requestId: number, documentUri: string): AbortController {
    this.inFlight.get(requestId)?.abort();
    const controller = new AbortController();
    this.inFlight.set(requestId, controller);
    this.documents.delete(requestId);
    this.documents.set(requestId, documentUri);
    for (const id of this.documents.keys()) {
      if (this.documents.size <= this.keep) break;
      this.documents.delete(id);
    }
    return controller;
  }

  /** The request ended: forgets its controller, unless a newer request has taken over the id. */
  finish(requestId: number, controller: AbortController): void {
    if (this.inFlight.get(requestId) === controller) this.inFlight.delete(requestId);
  }

  stop(requestId: number): void {
    this.inFlight.get(requestId)?.abort();
  }

  /** Aborts every request about this document (the conversation was cleared). */
  stopDocument(documentUri: string): void {
    for (const [id, controller] of this.inFlight) if (this.documents.get(id) === documentUri) controller.abort();
  }

  stopAll(): void {
    for (const controller of this.inFlight.values()) controller.abort();
  }

  /** The URI of the document a request was about, if it is still known. */
  documentOf(requestId: number): string | undefined {
    return this.documents.get(requestId);
  }

  get running(): number {
    return this.inFlight.size;
  }
}
