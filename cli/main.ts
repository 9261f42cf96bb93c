// The `lockdrop` command. Each subcommand lives in cli/commands/; this file wires them
// up and turns errors into exit codes: 2 for bad input (one paragraph, no stack trace
// unless --debug), 3 for an internal error.
import { Command, CommanderError } from "commander";
import pc from "picocolors";
import { WorkerGone } from "../engine/parallel.js";
import { DesignError } from "../model/step.js";
import { registerCheck } from "./commands/check.js";
import { registerCompare } from "./commands/compare.js";
import { registerCoverage } from "./commands/coverage.js";
import { ownPackage, registerInit } from "./commands/init.js";
import { registerList } from "./commands/list.js";
import { registerMatrix } from "./commands/matrix.js";
import { registerMerge } from "./commands/merge.js";
import { registerReplay } from "./commands/replay.js";
import { known, UsageError } from "./errors.js";
import { exit, guardProcessExit } from "./exit-guard.js";
import { Interrupted, installProgress } from "./progress.js";
import { designErrorMessage, preloadDesignFiles } from "./user-designs.js";

const debug = process.argv.includes("--debug");

const program = new Command()
  .name("lockdrop")
  .description("model checker for kernel protocols that drop the mmap lock during a page fault")
  .version(String(ownPackage().pkg.version), "-V, --version", "print lockdrop's version")
  .option("--debug", "print stack traces of internal errors")
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .addHelpText(
    "after",
    `
Verdicts: holds, violated, unknown (a search cut short: --max-states, --max-memory,
Ctrl-C), n/a (the scenario cannot exercise the property); each names its strength.

Exit codes:
  check, replay,   0 every row holds, 1 a violation, 4 some row unknown and none violated
  merge
  matrix, compare  0 every row has a verdict, 4 some row unknown, 1 with --strict and a violation
  coverage         0 every edge reached or not (unlisted unreached ones reported), 4 an unlisted
                   edge unknown (a search cut short), 1 with --strict and an unlisted
                   unreached or a stale edge
  every command    2 bad input, 3 internal error, 5 a result file could not be written,
                   130 Ctrl-C, 143 SIGTERM (precedence: 130/143, 3, 5, 1, 4, 0)`,
  );

registerMatrix(program);
registerCheck(program);
registerCompare(program);
registerList(program);
registerReplay(program);
registerCoverage(program);
registerMerge(program);
registerInit(program);

installProgress(process.argv.slice(2));
guardProcessExit();

const commandNames = program.commands.map((c) => c.name());

try {
  // `lockdrop help <command>` for a command that does not exist would print the
  // general help and exit 0, as if it had been answered
  const [first, second] = process.argv.slice(2);
  if (
    first === "help" &&
    second !== undefined &&
    !second.startsWith("-") &&
    !commandNames.includes(second)
  )
    throw known("command", second, commandNames, "Run `lockdrop --help` for what each does.");
  await preloadDesignFiles(process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof Interrupted) {
    console.error(`lockdrop: ${e.message}`);
    exit(130);
  }
  if (e instanceof DesignError) {
    const message = designErrorMessage(e);
    console.error(
      `lockdrop: ${debug ? message.replace(" (run with --debug for the stack trace)", "") : message}`,
    );
    if (debug) {
      console.error(e.stack);
      // where the step (or property) threw, on the worker thread that ran it
      if (e.cause instanceof Error) console.error(`Caused by: ${e.cause.stack}`);
    }
    exit(2);
  }
  if (e instanceof CommanderError) {
    if (e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.exitCode === 0)
      exit(0);
    // a list option (--scenario a b) takes every word after it, the design too
    const listFirst =
      e.code === "commander.missingArgument" &&
      process.argv.some((a) => /^--(scenario|property|design)$/.test(a))
        ? " (--scenario, --property and --design take every word after them as a list, so give the design before them, or last after --)"
        : "";
    // the help of the command the user named (the first word that is one), else the general one
    const named = process.argv.slice(2).find((a) => commandNames.includes(a));
    const message = e.message
      .replace(/^error: /, "")
      .replace(/\s*\n\s*/g, " ")
      .replace(/\.$/, "");
    console.error(
      `lockdrop: ${message}${listFirst}. Run \`lockdrop ${named === undefined ? "" : `${named} `}--help\` for usage.`,
    );
    exit(2);
  }
  if (e instanceof WorkerGone) {
    console.error(
      `lockdrop: ${e.message}. No verdict was given. Fix: make the step bound its work, or raise the heap with --max-memory.`,
    );
    exit(2);
  }
  if (e instanceof UsageError) {
    console.error(`lockdrop: ${e.message}`);
    // what a design file threw while it loaded
    if (debug && e.cause instanceof Error) console.error(`Caused by: ${e.cause.stack}`);
    exit(2);
  }
  console.error(pc.red(`lockdrop: internal error: ${(e as Error).message}`));
  if (debug) console.error((e as Error).stack);
  else console.error("Run again with --debug for the stack trace, and report it as a bug.");
  exit(3);
}
