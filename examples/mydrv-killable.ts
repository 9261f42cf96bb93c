// mydrv, final: before starting again after a drop, give up if the task was killed
// (with KILLABLE, handle_userfault() returns RETRY at once for a killed task, so the
// loop would otherwise spin):
//
//          if (!locked) {
//                  if (fatal_signal_pending(current)) return -EINTR;
//                  goto again;
//          }
import { design, EINTR, fatalSignalPending, set, test } from "lockdrop/model";
import mydrv from "./mydrv.js";

export default design({
  ...mydrv,
  id: "mydrv-killable",
  title: "mydrv: *locked checked, and a fatal signal ends the retry loop",
  steps: {
    ...mydrv.steps,
    relock: {
      op: test("!locked", (k) => k.num("locked") === 0),
      on: { yes: "killed", no: "take" },
    },
    killed: { op: fatalSignalPending(), on: { yes: "eintr", no: "again" } },
    eintr: { op: set({ ret: EINTR }), next: "exit" },
  },
});
