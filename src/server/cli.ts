/**
 * The `stitch` command (bundled to dist/cli.js): `serve`, `train`, `validate`. See `stitch --help` and
 * docs/server.md.
 */
import {
  applyThreadsFlag,
  backendFlag,
  HELP,
  intFlag,
  listFlag,
  numberFlag,
  parseCommandLine,
  serverFlag,
  stringFlag,
} from './cli/args';
import { serveCommand, UsageError } from './cli/serve';
import { trainCommand } from './cli/train';
import { validateFile } from './cli/validate';
import { exportCommand } from './cli/export';

/** Set once stdout's reader went away (EPIPE): nothing more is written there. */
let stdoutClosed = false;
const out = (line: string): void => {
  if (!stdoutClosed) process.stdout.write(`${line}\n`);
};
const err = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const args = parseCommandLine(argv);
  const { values } = args;
  applyThreadsFlag(values);
  const token = stringFlag(values, 'token') ?? (process.env.STITCH_TOKEN || undefined);
  switch (args.command) {
    case 'help':
      out(HELP);
      return 0;
    case 'validate': {
      // Several files (`stitch validate examples/*.stitch.json`): each one's lines; the worst exit code.
      let exitCode = 0;
      for (const file of args.files ?? []) {
        const result = validateFile(file);
        for (const line of result.lines) (result.exitCode === 0 ? out : err)(line);
        exitCode = Math.max(exitCode, result.exitCode);
      }
      return exitCode;
    }
    case 'serve': {
      const stop = await serveCommand({
        port: intFlag(values, 'port', 0, 65535) ?? 0,
        host: stringFlag(values, 'host') ?? '127.0.0.1',
        token,
        runsDir: stringFlag(values, 'runs-dir'),
        dataDir: stringFlag(values, 'data-dir'),
        workspace: listFlag(values, 'workspace'),
        concurrency: intFlag(values, 'concurrency', 1, 64),
        backend: backendFlag(values),
        allowRemote: values['allow-remote'] === true,
        trainerMemoryMb: intFlag(values, 'trainer-memory-mb', 128, 1024 * 1024),
        maxConnections: intFlag(values, 'max-connections', 1, 1_000_000),
        bodyTimeoutMs: (intFlag(values, 'body-timeout', 1, 3600) ?? 30) * 1000,
        out,
        err,
      });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const shutdown = (signal: string): void => {
          if (stopping) return;
          stopping = true;
          err(`[stitch] ${signal}: stopping (active runs are stopped and marked failed)`);
          void stop().then(resolve);
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
        if (values['exit-with-stdin'] === true) {
          // The extension keeps a pipe to our stdin open while it lives; if its host crashes, the pipe closes
          // and the server (and any trainer it runs) must not linger using CPU and a port.
          process.stdin.on('end', () => shutdown('standard input closed'));
          process.stdin.on('close', () => shutdown('standard input closed'));
          process.stdin.resume();
        }
      });
      return 0;
    }
    case 'train': {
      // First Ctrl+C (or SIGTERM): cancel the run. A second: stop now, the in-process server failing its run
      // (so that run.json does not say "running"), with at most 2 s for that before the exit.
      const interrupt = new AbortController();
      const quit = new AbortController();
      let quitCode = 130;
      const onSignal = (signal: NodeJS.Signals): void => {
        if (!interrupt.signal.aborted) return interrupt.abort();
        quitCode = signal === 'SIGTERM' ? 143 : 130;
        quit.abort();
        setTimeout(() => process.exit(quitCode), 2000).unref();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // A closed stdout (`stitch train … | head`): no stack trace; the run is cancelled, as on Ctrl+C.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
        stdoutClosed = true;
        onSignal('SIGINT');
      });
      const code = await trainCommand({
        file: args.file!,
        server: serverFlag(stringFlag(values, 'server')),
        token,
        minAccuracy: numberFlag(values, 'min-accuracy', 0, 1),
        epochs: intFlag(values, 'epochs', 1, 100_000),
        maxSamples: intFlag(values, 'max-samples', 1),
        backend: backendFlag(values),
        runsDir: stringFlag(values, 'runs-dir'),
        dataDir: stringFlag(values, 'data-dir'),
        workspace: listFlag(values, 'workspace')?.at(-1),
        verbose: values.verbose === true,
        out: {
          write: (text) => {
            if (!stdoutClosed) process.stdout.write(text);
          },
          isTTY: process.stdout.isTTY,
          columns: process.stdout.columns,
        },
        err,
        interrupt: interrupt.signal,
        quit: quit.signal,
      });
      return quit.signal.aborted ? quitCode : code;
    }
    case 'export':
      return exportCommand({
        run: args.file!,
        format: stringFlag(values, 'format'),
        out: stringFlag(values, 'out'),
        includeData: values['no-data'] !== true,
        force: values.force === true,
        runsDir: stringFlag(values, 'runs-dir'),
        dataDir: stringFlag(values, 'data-dir'),
        workspace: listFlag(values, 'workspace')?.at(-1),
        print: out,
      });
    default: {
      const unknown: never = args.command;
      throw new UsageError(`unknown command ${String(unknown)}`);
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      err(`stitch: ${error.message}`);
      process.exitCode = 2;
    } else {
      err(`stitch: ${(error as Error).stack ?? String(error)}`);
      process.exitCode = 1;
    }
  },
);
