import { runAdminCli } from './admin-cli.ts';

/** Entry of `npm run admin -- <command>` (see admin-commands.ts for the commands). */
process.exitCode = await runAdminCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
