// Design files are code the user runs with their own rights, as a vitest config is; a
// call of process.exit() in one (at load, or inside a step) must not end the command
// silently with its exit code. From the start of the command, process.exit throws an
// error that names it, which loading turns into a one-paragraph problem with the file
// and a step into a design error at that step (exit 2). lockdrop's own exits go through
// `exit` below.

const realExit = process.exit.bind(process);

export class ExitCalled extends Error {}

/** lockdrop's own exit (the guard stays on for everything else). */
export function exit(code: number): never {
  return realExit(code);
}

/** From now on, process.exit() by anyone but `exit` throws ExitCalled. */
export function guardProcessExit(): void {
  process.exit = ((code?: number | string | null) => {
    throw new ExitCalled(
      `process.exit(${code ?? ""}) was called; a design file or its step must not exit the process (return from the step, or throw an Error that says what went wrong)`,
    );
  }) as typeof process.exit;
}
