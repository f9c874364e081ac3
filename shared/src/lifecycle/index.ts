import type { Logger } from 'pino';

export interface ShutdownStep {
  name: string;
  run(): Promise<void>;
}

/**
 * Runs shutdown steps in order (typically: stop readiness, drain HTTP, stop consumers and relay,
 * close Kafka, close MongoDB) on SIGTERM or SIGINT, with an overall deadline.
 */
export function onShutdown(logger: Logger, steps: ShutdownStep[], timeoutMs: number): () => Promise<void> {
  let running: Promise<void> | undefined;
  const shutdown = () => {
    running ??= (async () => {
      const deadline = setTimeout(() => {
        logger.error({ timeoutMs }, 'shutdown deadline passed; exiting');
        process.exit(1);
      }, timeoutMs);
      deadline.unref();
      for (const step of steps) {
        try {
          await step.run();
          logger.info({ step: step.name }, 'shutdown step done');
        } catch (err) {
          logger.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
      clearTimeout(deadline);
    })();
    return running;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    void shutdown().then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return shutdown;
}
