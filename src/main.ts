import { buildApp } from './app.js';
import { loadAgentsFile } from './config/agents-file.js';
import { DEMO_AGENTS } from './config/demo-agents.js';
import { loadEnvFromProcess } from './config/env.js';
import { DaemonError } from './domain/errors.js';
import { createLogger } from './log.js';
import { appDrainTarget, drainAndClose } from './ops/drain.js';
import { errorSummary } from './runtime/executor.js';

/** Entry: parse config, build the app, listen; SIGTERM/SIGINT → ordered drain. */
async function main(): Promise<void> {
  const env = loadEnvFromProcess();
  const log = createLogger({ level: env.logLevel, logPii: env.logPii });
  // The last line of defence: a rejection or exception nothing handled is logged and the worker
  // keeps serving its other calls (each call's state is in the store; its timers bound any wait).
  // The lint rules (eslint.config.js) keep such promises out of the code; this keeps one slip
  // from ending every call on the worker.
  process.on('unhandledRejection', (reason: unknown) =>
    log.error({ err: errorSummary(reason) }, 'process.unhandled_rejection'),
  );
  process.on('uncaughtException', (err: Error) =>
    log.error({ err: errorSummary(err) }, 'process.uncaught_exception'),
  );
  const agents =
    env.configPath === undefined
      ? DEMO_AGENTS
      : await loadAgentsFile(env.configPath, { defaultRegion: env.defaultRegion });
  if (env.configPath === undefined)
    log.warn('config.embedded_demo_agents: set PATCHTHROUGH_CONFIG for real agents');
  const app = buildApp({ env, agents, log });
  await app.listen();
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'daemon.draining');
    const deadline = setTimeout(() => process.exit(1), env.drainTimeoutMs + 5000);
    drainAndClose(appDrainTarget(app), { timeoutMs: env.drainTimeoutMs, log }).then(
      () => {
        clearTimeout(deadline);
        log.info('daemon.stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'daemon.stop_failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  const detail =
    err instanceof DaemonError ? { code: err.code, message: err.message } : { message: String(err) };
  process.stderr.write(`patchthrough: failed to start: ${JSON.stringify(detail)}\n`);
  if (err instanceof DaemonError && 'issues' in err)
    process.stderr.write(`${JSON.stringify((err as { issues: unknown }).issues, null, 2)}\n`);
  process.exit(1);
});
