// L2: with the monitor answering and no munmap, invalidation or signal, the
// call returns 0 with every page valid within the scenario's step budget. Judged at
// the end of a run whose schedule was completed fairly; runs where a disruptive actor
// acted do not count.
import { errnoName } from "../model/errno.js";
import { HMM_PFN_REQ_FAULT, HMM_PFN_VALID } from "../model/kernel/hmm.js";
import { hasUffd, hasUffdMonitor, totalPages } from "../model/scenarios.js";
import { UFFD_MONITOR_IDS } from "../model/uffd-monitors.js";
import { swapPte } from "../model/world.js";
import type { EndView, Property } from "./property.js";

export const uffdFaultCompletes: Property = {
  id: "uffd-fault-completes",
  ref: "L2",
  statement:
    "uffd faults complete: with the monitor answering and no invalidation, a call that asks HMM to fault its pages (or a GUP or arch fault) returns 0 with every page valid within a bounded number of steps",
  kind: "liveness",
  // judged where the request can be met: uffd armed, the monitor answering, and no
  // write asked of a VMA without VM_WRITE (that is -EPERM by contract). A uffd with
  // UFFD_FEATURE_SIGBUS never hands a fault to the monitor, so there is nothing to
  // answer; a UFFD_USER_MODE_ONLY uffd does hand it user faults, and a caller that
  // faults from kernel mode there is judged (its SIGBUS is the kernel's policy).
  applies: (s, d) =>
    d.family !== "mfill" &&
    hasUffd(s) &&
    !s.uffd?.sigbus &&
    hasUffdMonitor(s) &&
    (!s.write || s.vmas.every((v) => v.write)),
  // undisturbed, the call still running, and the monitor weakly fair (the built-in one
  // or a monitorActor() variant): a loop of the driver that the monitor's answers do
  // not end
  lasso: {
    inLoop: (w) =>
      !w.ghost.disrupted && w.threads.some((t) => t.role === "driver" && t.status.kind !== "done"),
    weaklyFair: UFFD_MONITOR_IDS,
    describe: (prefix, loop) =>
      `lasso: after ${prefix} steps, with no munmap, invalidation or signal and the monitor answering, T enters a loop of ${loop} steps that comes back to the same state (steps ${prefix + 1}-${prefix + loop} repeat forever) and never returns.`,
  },
  monitor: () => ({
    end: ({ world, end, scenario, design }) => {
      if (world.ghost.disrupted) return null;
      const drivers = world.threads.filter((x) => x.role === "driver");
      if (drivers.length > 1) return severalDrivers(world, end, scenario);
      const t = drivers[0];
      if (!t) return null;
      const budget = scenario.stepsPerPage * totalPages(scenario);
      if (end === "budget" || world.ghost.driverSteps > budget)
        return `T did not return within ${budget} driver steps (${world.ghost.driverSteps} taken).`;
      if (end === "deadlock" || t.status.kind !== "done")
        return `T is blocked forever (${t.status.kind === "blocked" ? t.status.on.kind : t.status.kind}) with the monitor answering.`;
      const ret = t.locals.ret;
      if (ret !== 0) return `T returned ${errnoName(Number(ret))} instead of 0.`;
      // an HMM caller that asks for no fault (.default_flags = 0, drm_gpusvm_scan_mm())
      // has no uffd fault to complete: it only reads what is mapped
      if (design.family === "hmm" && (Number(t.locals.req ?? 0) & HMM_PFN_REQ_FAULT) === 0)
        return null;
      if (design.family !== "hmm") {
        // GUP and arch-fault callers: every page of the range must be present
        const missing = world.ptes.findIndex((p) => p === "none" || swapPte(p));
        return missing >= 0 ? `T returned 0 but page ${missing} is not present.` : null;
      }
      const consumed = world.ghost.consumed;
      if (!consumed) return "T returned 0 without consuming the pfns.";
      const bad = consumed.findIndex((p) => !(p & HMM_PFN_VALID));
      if (bad >= 0) return `T returned 0 but page ${bad} is not HMM_PFN_VALID.`;
      return null;
    },
  }),
};

/**
 * With several driver threads: each must return 0 with every page of its range valid,
 * within the step budget of all of them (ghost.consumed records only the last
 * consumer, so each driver's own hmm_pfns are read).
 */
function severalDrivers(
  world: EndView["world"],
  end: EndView["end"],
  scenario: EndView["scenario"],
): string | null {
  const drivers = world.threads.filter((x) => x.role === "driver");
  const budget = scenario.stepsPerPage * totalPages(scenario) * drivers.length;
  if (end === "budget" || world.ghost.driverSteps > budget)
    return `the drivers did not return within ${budget} driver steps (${world.ghost.driverSteps} taken).`;
  for (const t of drivers) {
    if (t.status.kind !== "done")
      return `${t.name} is blocked forever (${t.status.kind === "blocked" ? t.status.on.kind : t.status.kind}) with the monitor answering.`;
    const ret = t.locals.ret;
    if (ret !== 0) return `${t.name} returned ${errnoName(Number(ret))} instead of 0.`;
    const pfns = t.locals.pfns;
    if (Array.isArray(pfns)) {
      const bad = pfns.findIndex((p) => !(p & HMM_PFN_VALID));
      if (bad >= 0) return `${t.name} returned 0 but page ${bad} is not HMM_PFN_VALID.`;
    }
  }
  return null;
}
