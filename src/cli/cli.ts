import { main } from './main';

// `runlens ls | head`: the reader went away; stop quietly, as other command-line tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`runlens: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  },
);
