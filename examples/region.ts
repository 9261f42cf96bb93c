// A lock and an object a driver declares: mshv-style memory regions on a list that
// regions_lock protects, and an unmap path that takes a region off the list and frees
// it. The fault path looks its region up under the lock, then drops the lock before
// using it:
//
//   spin_lock(&partition->regions_lock);
//   region = mshv_partition_region_by_gfn(partition, gfn);
//   spin_unlock(&partition->regions_lock);
//   ret = mshv_region_hmm_fault(region, ...);          // region->... without the lock
//
//   unmap:  spin_lock(&partition->regions_lock);
//           hlist_del(&region->hnode);
//           spin_unlock(&partition->regions_lock);
//           vfree(region);
import {
  actor,
  derefObj,
  design,
  detachObj,
  exit,
  freeObj,
  lookupObj,
  scenario,
  spinLock,
  spinUnlock,
  use,
} from "lockdrop/model";

/** partition->regions_lock, and the region it protects the lookup of. */
const REGIONS = "partition->regions_lock";
const REGION = "region";

const unmap = actor({
  id: "region-unmap",
  lane: "U",
  title: "MSHV_UNMAP_GUEST_MEMORY: take the region off the list and free it",
  disruptive: true,
  start: "idle",
  steps: {
    idle: { op: spinLock(REGIONS), next: "del" },
    del: { op: detachObj(REGION), next: "unlock" },
    unlock: { op: spinUnlock(REGIONS), next: "free" },
    free: { op: freeObj(REGION, "vfree"), next: "idle" },
  },
});

const regions = scenario({
  id: "mshv-regions",
  title: "one guest memory region, looked up by the fault path while an unmap may free it",
  families: ["hmm"],
  vmas: [
    { name: "anon", pages: 1, write: true, shared: false, hugetlb: false, uffdMissing: false },
  ],
  locks: [{ name: REGIONS, kind: "spinlock" }],
  objects: [{ name: REGION }],
  actors: [use(unmap, 1)],
});

export default design({
  id: "mshv-region-lookup",
  family: "hmm",
  title: "mshv: the region used after regions_lock is dropped",
  start: "lock",
  steps: {
    lock: { op: spinLock(REGIONS), next: "find" },
    find: { op: lookupObj(REGION, "region", REGIONS), on: { found: "unlock", none: "none" } },
    unlock: { op: spinUnlock(REGIONS), next: "use" },
    use: {
      op: derefObj("region", "mshv_region_hmm_fault(region, ...): region->start_gfn"),
      next: "exit",
    },
    none: { op: spinUnlock(REGIONS), next: "exit" },
    exit: { op: exit() },
  },
  scenarios: [regions],
  properties: ["no-vma-use-after-unlock", "no-freed-vma-use", "lock-balance", "no-sleep-in-atomic"],
});
