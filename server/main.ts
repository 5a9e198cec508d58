import { startSystem } from './boot';

/** Entry point: start, print where to go, and shut down cleanly on SIGTERM/SIGINT (container stop, Ctrl-C). */
async function main(): Promise<void> {
  const system = await startSystem({ warmPdf: true });
  const where = system.sandboxUrl === undefined ? system.appUrl : `${system.sandboxUrl}/ (sandbox EHR simulator)`;
  process.stdout.write(`ITDD Consent is running at ${system.appUrl}\nOpen ${where}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    system.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
