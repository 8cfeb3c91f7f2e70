import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`runlens: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  },
);
