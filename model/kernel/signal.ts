// fatal_signal_pending(current): the check every retry loop needs (L3); SIGKILL is
// pending (include/linux/sched/signal.h, read at v7.0).
import type { Op } from "../step.js";
import { op } from "../step.js";

export const fatalSignalPending = (): Op<"yes" | "no"> =>
  op({
    name: "if (fatal_signal_pending(current))",
    outcomes: ["yes", "no"],
    run: (k) => (k.t.fatal ? "yes" : "no"),
  });
