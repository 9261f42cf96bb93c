// The worlds mydrv's design runs in: the VMAs, the declared locks, how many driver
// threads run the design, and the actors beside them, each with a budget (how many times
// it may act; null: no bound). Edit: the VMAs your users map, your locks, your actors;
// `npx lockdrop list` names the built-in scenarios and actors.
import type { Scenario } from "lockdrop/model";
import { scenario, scenarioById, use } from "lockdrop/model";
import { mydrvInvalidate } from "./actor.mjs";
import { LOCKS } from "./locks.mjs";

/** Two mydrv threads (T1, T2) fault one userfaultfd-registered page; mprotect may run once. */
export const twoThreads = scenario({
  id: "mydrv-two-threads",
  title: "two mydrv threads fault one anon-uffd page; mprotect runs mydrv_invalidate() once",
  families: ["hmm"],
  vmas: [
    { name: "anon-uffd", pages: 1, write: true, shared: false, hugetlb: false, uffdMissing: true },
  ],
  locks: LOCKS,
  drivers: 2,
  // "monitor": the built-in userfaultfd monitor, which answers the missing faults
  actors: [use(mydrvInvalidate, 1), { actor: "monitor", budget: null }],
});

/** A built-in scenario with mydrv's locks declared, so that the design can run in it. */
function withMydrvLocks(id: string): Scenario {
  const builtIn = scenarioById(id);
  if (builtIn === undefined) throw new Error(`lockdrop has no scenario "${id}"`);
  return scenario({ ...builtIn, id: `mydrv-${id}`, locks: LOCKS });
}

/** One mydrv thread against munmap, invalidations, the monitor and a fatal signal. */
export const anonUffd = withMydrvLocks("anon-uffd");
/** The same on a shared hugetlb VMA, with mprotect. */
export const hugetlbUffd = withMydrvLocks("hugetlb-uffd");
