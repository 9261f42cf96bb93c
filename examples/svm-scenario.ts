// The scenario the svm designs run in: one userfaultfd-registered page, two GPU queues
// (driver threads T1 and T2) faulting it, the uffd monitor answering, and one mprotect()
// whose notifier runs the driver's invalidate callback. The lock is declared here: a
// design that takes a lock its scenario does not declare is refused before it runs.
import { scenario, use } from "lockdrop/model";
import { RANGE_LOCK, svmInvalidate } from "./svm-invalidate.js";

/** Two GPU queues (T1, T2) fault one userfaultfd-registered page; mprotect may run once. */
export const twoQueues = scenario({
  id: "svm-two-queues",
  title: "two driver threads fault one anon-uffd page; one mprotect runs the invalidate callback",
  families: ["hmm"],
  vmas: [
    { name: "anon-uffd", pages: 1, write: true, shared: false, hugetlb: false, uffdMissing: true },
  ],
  locks: [{ name: RANGE_LOCK, kind: "mutex" }],
  drivers: 2,
  actors: [use(svmInvalidate, 1), { actor: "monitor", budget: null }],
});
