// xe's GPU page-fault worker after "[PATCH v8 8/8] drm/gpusvm: Use
// hmm_range_fault_unlocked_timeout() for range faults" (Jul 10 2026, with the fixup of
// Jul 14): the worker holds vm->lock for write across drm_gpusvm_get_pages(), whose
// fault may now sleep in handle_userfault() until the userfaultfd monitor answers.
// Read in v7.0, drivers/gpu/drm/xe/xe_pagefault.c:
//
//   static int xe_pagefault_service(struct xe_pagefault *pf)
//   {
//           ...
//           down_write(&vm->lock);
//           ...
//           if (xe_vma_is_cpu_addr_mirror(vma))
//                   err = xe_svm_handle_pagefault(vm, vma, gt, ...);  /* -> drm_gpusvm_get_pages() */
//           ...
//   unlock_vm:
//           up_write(&vm->lock);
//
// and drivers/gpu/drm/xe/xe_vm.c, xe_vm_bind_ioctl(): down_write_killable(&vm->lock).
// A monitor thread that binds on the same VM before it answers the fault waits for the
// worker, which waits for it. The scenario sends no signal, so the killable wait is
// down_write() here; a SIGKILL to the monitor's process would end that wait
// (downWriteKillable), but not the xe_svm_flush() before it, which waits uninterruptibly
// for the garbage collector's work, itself a down_write(&vm->lock) taker.
import {
  compose,
  design,
  designById,
  downWrite,
  exit,
  monitorActor,
  override,
  type ScenarioInput,
  scenario,
  upWrite,
  use,
} from "lockdrop/model";

export const VM_LOCK = "vm->lock";

const getPages = designById("gpusvm-get-pages-v8");
if (!getPages) throw new Error("lockdrop has no built-in design gpusvm-get-pages-v8");

/** The monitor, binding on the GPU VM (DRM_IOCTL_XE_VM_BIND) before it answers with UFFDIO_COPY. */
export const monitorBinds = monitorActor({
  id: "monitor-binds",
  title: "userfaultfd monitor that calls DRM_IOCTL_XE_VM_BIND on the VM before UFFDIO_COPY",
  beforeCopy: {
    before_copy: { op: downWrite(VM_LOCK), next: "bind_done" },
    bind_done: { op: upWrite(VM_LOCK), next: "copy" },
  },
});

const page = {
  name: "anon-uffd",
  pages: 1,
  write: true,
  shared: false,
  hugetlb: false,
  uffdMissing: true,
} as const;

/** One userfaultfd-registered page, vm->lock declared, and a monitor. */
const onePage = (
  id: string,
  title: string,
  monitor: NonNullable<ScenarioInput["actors"]>[number],
) =>
  scenario({
    id,
    title,
    families: ["hmm"],
    vmas: [page],
    locks: [{ name: VM_LOCK, kind: "rwsem" }],
    actors: [monitor],
  });

export const bindsFirst = onePage(
  "xe-uffd-monitor-binds",
  "xe's fault worker faults one anon-uffd page; the monitor binds on the VM, then copies",
  use(monitorBinds, null),
);

export const copiesOnly = onePage(
  "xe-uffd-monitor-copies",
  "xe's fault worker faults one anon-uffd page; the monitor answers with UFFDIO_COPY",
  { actor: "monitor", budget: null },
);

export default design({
  ...getPages,
  id: "xe-pagefault-v8",
  title:
    "xe_pagefault_service() after v8 8/8: vm->lock held for write across drm_gpusvm_get_pages()",
  summary:
    "xe's GPU page-fault worker takes down_write(&vm->lock), faults the range with drm_gpusvm_get_pages() (v8: hmm_range_fault_unlocked_timeout(), which may sleep in handle_userfault()), then up_write(&vm->lock).",
  source: "drivers/gpu/drm/xe/xe_pagefault.c, v7.0, with v8 8/8",
  runsFrom: "worker",
  start: "vm_lock",
  steps: compose(
    { vm_lock: { op: downWrite(VM_LOCK), next: "init" } },
    getPages.steps,
    override({ exit: { op: upWrite(VM_LOCK), next: "unlock_vm" } }),
    { unlock_vm: { op: exit() } },
  ),
  scenarios: [bindsFirst, copiesOnly],
  properties: ["no-deadlock", "lock-balance", "no-vma-use-after-unlock", "no-freed-vma-use"],
});
