/**
 * Which TensorFlow.js backend this server trains with, for `/api/health` (and the backend inference uses).
 * It is the trainer's own selection logic (`selectBackend`) run once in the server process, lazily and
 * cached: loading TensorFlow.js takes a second or two, so `startServer` kicks it off after listening
 * instead of making startup wait.
 */
import type { BackendName } from '../shared/protocol';

export function backendProbe(forced: BackendName | null, log: (line: string) => void): () => Promise<BackendName> {
  let selected: Promise<BackendName> | undefined;
  return () => {
    selected ??= Promise.resolve()
      // A require at call time (not an import at the top) keeps TensorFlow.js out of server startup.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      .then(() => (require('./training/backend') as typeof import('./training/backend')).chooseBackend(forced))
      .then(
        (choice) => {
          for (const note of choice.notes) log(note);
          log(`TensorFlow.js backend: ${choice.detail}`);
          return choice.backend;
        },
        (err: unknown) => {
          selected = undefined; // let a later request try again (e.g. after the user fixed STITCH_BACKEND)
          throw err;
        },
      );
    return selected;
  };
}
