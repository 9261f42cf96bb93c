// mfill_atomic_hugetlb() (mm/userfaultfd.c, v7.0): where mfill_atomic() hands a hugetlb
// destination, with its own folio, its own retry and its own `out:`.
import { EEXIST, EFAULT, ENOENT } from "../errno.js";
import { hugetlbVmaLockRead, hugetlbVmaUnlockRead } from "../kernel/hugetlb.js";
import {
  copyFromUser,
  folioPut,
  HFOLIO,
  hugetlbMfillAtomicPte,
  isHugetlbDst,
} from "../kernel/mfill.js";
import { vmaEndReadOp } from "../kernel/vma-lock.js";
import { set } from "../locals.js";
import type { Steps, Unreachable } from "../step.js";
import { getVma } from "./mfill-get-vma.js";
import { unreachable } from "./unreachable.js";

/**
 * mfill_atomic_hugetlb() (mm/userfaultfd.c, v7.0), entered with the VMA read-locked; its
 * own folio is local `hfolio`. Its retry looks the VMA up again and refuses anything but
 * a hugetlb VMA (-ENOENT, out_unlock_vma); `out:` puts its folio, and the call returns
 * to `ret`. Seed 003's series leaves this path as it is ("I deliberately left hugetlb
 * out"), so its designs take it too.
 */
export function mfillAtomicHugetlb(ret: string): Steps {
  return {
    "h.lock": { op: hugetlbVmaLockRead("vma"), next: "h.pte" },
    "h.pte": {
      op: hugetlbMfillAtomicPte("vma", "dst"),
      on: { ok: "h.unlock", eexist: "h.eexist", enoent: "h.drop" },
    },
    "h.unlock": { op: hugetlbVmaUnlockRead("vma"), next: "h.out_unlock" },
    "h.eexist": { op: hugetlbVmaUnlockRead("vma"), next: "h.eexist.ret" },
    "h.eexist.ret": { op: set({ ret: EEXIST }), next: "h.out_unlock" },
    // err == -ENOENT: the source is not resident; copy it with every lock dropped
    "h.drop": { op: hugetlbVmaUnlockRead("vma"), next: "h.drop.vma" },
    "h.drop.vma": { op: vmaEndReadOp("vma"), next: "h.copy_user" },
    "h.copy_user": {
      op: copyFromUser("copy_folio_from_user(folio, src_addr)"),
      on: { ok: "h.retry", efault: "h.efault" },
    },
    "h.efault": { op: set({ ret: EFAULT }), next: "h.out" },
    ...getVma("h.retry", "h.retry.hugetlb", "h.enoent"),
    "h.retry.hugetlb": { op: isHugetlbDst("vma"), on: { yes: "h.lock", no: "h.not_hugetlb" } },
    "h.not_hugetlb": { op: set({ ret: ENOENT }), next: "h.out_unlock" },
    // out_unlock: up_read(&ctx->map_changing_lock); out_unlock_vma: uffd_mfill_unlock()
    "h.out_unlock": { op: vmaEndReadOp("vma"), next: "h.out" },
    "h.enoent": { op: set({ ret: ENOENT }), next: "h.out" },
    "h.out": { op: folioPut("if (folio) folio_put(folio)", HFOLIO), next: ret },
  };
}

/** The edges of mfill_atomic_hugetlb() no mfill scenario reaches, for every design that takes it. */
export function hugetlbPathUnreachable(): Unreachable[] {
  const noSecondWriter =
    "no mfill scenario with a hugetlb VMA has a second writer of its page (uffd-copy-race's two copies go to an anonymous VMA)";
  const registered =
    "the VMA uffd-copy-hugetlb-dst maps in the hugetlb range's place is registered with userfaultfd, and uffd-copy-unregistered's never meets mfill_atomic_hugetlb()";
  return [
    ...unreachable("h.pte", ["eexist"], noSecondWriter),
    ...unreachable("h.eexist", ["ok"], noSecondWriter),
    ...unreachable("h.eexist.ret", ["ok"], noSecondWriter),
    ...unreachable("h.retry.validate", ["no"], registered),
    ...unreachable("h.retry.invalid", ["ok"], registered),
  ];
}
