// S6: fault flags are legal combinations (include/linux/mm_types.h, sanitize_fault_flags).
import { illegalFlags } from "../model/kernel/fault-flags.js";
import type { Property } from "./property.js";
import { who } from "./property.js";

export const faultFlagsLegal: Property = {
  id: "fault-flags-legal",
  ref: "S6",
  statement:
    "fault flags are legal: never TRIED without ALLOW_RETRY, RETRY_NOWAIT without ALLOW_RETRY, VMA_LOCK with RETRY_NOWAIT, or UNSHARE with WRITE",
  kind: "safety",
  applies: () => true,
  monitor: () => ({
    step: ({ after, rec }) => {
      for (const e of rec.events) {
        if (e.k !== "fault") continue;
        const bad = illegalFlags(e.flags);
        if (bad.length > 0)
          return `${who(after, e.tid)} called handle_mm_fault(${e.flags.join("|")}): ${bad.join("; ")}${
            e.result === "VM_FAULT_SIGSEGV"
              ? " (the kernel WARNs and returns VM_FAULT_SIGSEGV)"
              : ""
          }.`;
      }
      return null;
    },
  }),
};
