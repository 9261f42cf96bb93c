// Two subscribers on the mm's hlist of mmu notifiers (struct mmu_notifier_subscriptions
// ->list), beside the driver's interval subscription, as an mm had them up to v5.4:
// KVM (virt/kvm/kvm_main.c kvm_mmu_notifier_invalidate_range_start/_end: the start
// raises kvm->mmu_invalidate_in_progress (mmu_notifier_count in older kernels) and
// never fails; the end lowers it, and while it is raised KVM's page faults retry), and
// radeon's userptr notifier (drivers/gpu/drm/radeon/radeon_mn.c before its interval
// conversion in v5.5: radeon_mn_invalidate_range_start trylocks rmn->lock on a
// non-blockable range and returns -EAGAIN when it is held; it has no end). Both are
// declared locks of the scenario: the counter a refcount starting at 0, rmn->lock a
// mutex. D holds rmn->lock for a while, as radeon's own blocking invalidations and
// radeon_mn_unregister do.

import { type Actor, actor } from "../actor.js";
import { mutexLock, mutexUnlock } from "../kernel/locks.js";
import { type HlistSubscriber, hlistSubscriber } from "../kernel/notifier.js";

export const KVM_COUNT = "kvm->mmu_invalidate_in_progress";
export const RADEON_LOCK = "rmn->lock";

/** KVM's notifier: a start that never fails, and an end. */
export const kvmSubscriber: HlistSubscriber = hlistSubscriber({
  name: "kvm",
  count: KVM_COUNT,
  trylock: null,
});

/** radeon's userptr notifier (v4.19-v5.4): a start that trylocks rmn->lock when non-blockable, no end. */
export const radeonSubscriber: HlistSubscriber = hlistSubscriber({
  name: "radeon_mn",
  count: null,
  trylock: RADEON_LOCK,
});

/** D: radeon's side holding rmn->lock (a blocking invalidation of its BOs, or unregister). */
export function radeonLockActor(): Actor {
  return actor({
    id: "radeon-mn-lock",
    lane: "D",
    title: "radeon's userptr code holding rmn->lock (a blocking invalidation of its BOs)",
    start: "lock",
    steps: {
      lock: { op: mutexLock(RADEON_LOCK), next: "unlock" },
      unlock: { op: mutexUnlock(RADEON_LOCK), next: "lock" },
    },
  });
}
