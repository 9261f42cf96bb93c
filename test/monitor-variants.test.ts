// uffd-fault-completes (L2) beside a monitorActor() variant: it applies as beside the
// built-in monitor, its loops fair to the variant.
import { describe, expect, it } from "vitest";
import { use } from "../model/actor.js";
import { monitorActor } from "../model/actors/monitor.js";
import { downWrite, downWriteTrylock, upWrite } from "../model/kernel/locks.js";
import { set } from "../model/locals.js";
import { scenario as declare, type Scenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import { ANON_PAGE, completeRow, design, holdsAcrossFault, prop } from "./helpers.js";

const l2 = (d: Design, s: Scenario) => completeRow(d, s, "uffd-fault-completes");

const onePage = (id: string, monitor: ReturnType<typeof monitorActor>) =>
  declare({
    id,
    vmas: [{ ...ANON_PAGE, uffdMissing: true }],
    locks: [{ name: "drv.lock", kind: "rwsem" }],
    actors: [use(monitor, null)],
  });

describe("uffd-fault-completes beside a monitor variant", () => {
  it("applies, and holds for v2 when the variant answers with UFFDIO_COPY", () => {
    const logs = monitorActor({
      id: "monitor-logs",
      title: "monitor that logs the fault before UFFDIO_COPY",
      beforeCopy: { before_copy: { op: set({ logged: 1 }), next: "copy" } },
    });
    const row = l2(design("v2"), onePage("variant-logs", logs));
    expect(row?.verdict).toBe("holds");
    expect(row?.complete).toBe(true);
  });

  it("is violated when the variant first waits for a lock the faulting thread holds", () => {
    const takes = monitorActor({
      id: "monitor-takes-drv-lock",
      title: "monitor that takes drv.lock before UFFDIO_COPY",
      beforeCopy: {
        before_copy: { op: downWrite("drv.lock"), next: "copy" },
      },
    });
    // T holds drv.lock across its fault and never gives it back
    const row = l2(holdsAcrossFault("drv.lock"), onePage("variant-takes", takes));
    expect(row?.verdict).toBe("violated");
    expect(row?.message).toMatch(/blocked forever/);
  });
});

describe("a monitor variant's own steps", () => {
  it("are fair in uffd-fault-completes' loops, as the built-in monitor is", () => {
    monitorActor({
      id: "monitor-fair-test",
      title: "a variant declared for this test",
      beforeCopy: { before_copy: { op: set({ seen: 1 }), next: "copy" } },
    });
    expect(prop("uffd-fault-completes").lasso?.weaklyFair).toEqual(
      expect.arrayContaining(["monitor", "monitor-fair-test"]),
    );
  });

  it("may not loop among themselves: a spin there is a run no property can judge", () => {
    expect(() =>
      monitorActor({
        id: "monitor-spins",
        title: "a variant that retries a trylock",
        beforeCopy: {
          before_copy: {
            op: downWriteTrylock("drv.lock"),
            on: { locked: "bind_done", busy: "before_copy" },
          },
          bind_done: { op: upWrite("drv.lock"), next: "copy" },
        },
      }),
    ).toThrow(/beforeCopy steps of "monitor-spins" loop \(before_copy -> before_copy\)/);
  });
});
