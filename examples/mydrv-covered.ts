// mydrv with its unreachable edges listed: the four edges of the v2 API it is made of
// that no scenario can reach, with the reasons v2 gives them (model/designs/v2.ts).
import {
  design,
  doFaultNeverReaches,
  VM_WRITE_CHECKED_UNDER_SAME_HOLD,
  walkNeverReaches,
} from "lockdrop/model";
import mydrv from "./mydrv.js";

export default design({
  ...mydrv,
  id: "mydrv-covered",
  unreachable: [
    // walk -> done: hmm_range_fault*() walks only from below the range's end
    ...walkNeverReaches(),
    // the VMA lookup and the VM_WRITE check under the walk's own mmap lock hold
    ...doFaultNeverReaches({ sameLock: true, permChecked: VM_WRITE_CHECKED_UNDER_SAME_HOLD }),
  ],
});
