// close(uffd): userfaultfd_release() runs once the last reference to the file goes
// (fs/userfaultfd.c, fs/file.c fdget(): a syscall on the fd holds one for its length),
// so never while the monitor is inside read() or UFFDIO_COPY; and a monitor whose uffd
// was closed has no fd left to read or copy with.
import { describe, expect, it } from "vitest";
import { isEnabled } from "../engine/exec.js";
import { setupFor } from "../engine/run.js";
import { v2 } from "../model/designs/v2.js";
import { calls, runAlone, scenario, tidOf } from "./helpers.js";

describe("userfaultfd_release() and the monitor", () => {
  const setup = setupFor(v2, scenario("anon-uffd"));
  const [m, r] = [tidOf(setup.world0, "M"), tidOf(setup.world0, "R")];
  // T runs until it sleeps in handle_userfault(): the monitor has a message to read
  const asleep = runAlone(setup.programs, setup.world0, 0, calls("handle_mm_fault"), 60).world;

  it("cannot start while the monitor is inside read() or UFFDIO_COPY", () => {
    expect(isEnabled(asleep, r, setup.programs)).toBe(true);
    const reading = runAlone(setup.programs, asleep, m, calls("read(uffd"), 1);
    expect(reading.recs[0]?.outcome).toBe("copy");
    expect(isEnabled(reading.world, r, setup.programs)).toBe(false);
    // UFFDIO_COPY under the VMA lock, to its uffd_mfill_unlock(): back at idle
    const done = runAlone(setup.programs, reading.world, m, calls("uffd_mfill_unlock"), 10);
    expect(done.world.threads[m]?.pc).toBe("idle");
    expect(isEnabled(done.world, r, setup.programs)).toBe(true);
  });

  it("leaves the monitor nothing to read once it began", () => {
    expect(isEnabled(asleep, m, setup.programs)).toBe(true);
    const released = runAlone(setup.programs, asleep, r, calls("userfaultfd_release"), 1).world;
    expect(released.uffd.released).toBe(true);
    expect(isEnabled(released, m, setup.programs)).toBe(false);
  });
});
