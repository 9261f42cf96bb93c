#!/usr/bin/env bash
# End to end, lockdrop the way a team's repository gets it: pack the package, install the
# tarball into a fresh CommonJS project outside this repository (`npm init -y`), scaffold
# it with `npx lockdrop init`, and run what the scaffold promises: `npm test`, `lockdrop
# check` on the scaffolded design (and `matrix`, whose worker threads load it too), and
# require("lockdrop/model") from CommonJS. Then the same project as an ES module package,
# and its TypeScript against the shipped declarations. Only the npm registry is needed
# (for vitest). Run from .ci/run; `bash .ci/pack-e2e.sh` on its own works too.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/lockdrop-pack-e2e.XXXXXX")"
trap 'rm -rf "$work"' EXIT
step() { printf '\n== pack-e2e: %s\n' "$*"; }
fail() {
  echo "pack-e2e: FAILED: $*" >&2
  exit 1
}
npm_i() { npm install --no-audit --no-fund --loglevel=error "$@"; }

step "npm pack (runs prepare: the build into dist/)"
(cd "$repo" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/lockdrop-*.tgz)"
tar -tzf "$tarball" >"$work/contents"
grep -qx 'package/dist/api/model.js' "$work/contents" || fail "the tarball has no dist/api/model.js"
grep -qx 'package/templates/init/.github/workflows/lockdrop.yml' "$work/contents" ||
  fail "the tarball has no init templates"
# neither the TypeScript sources (only dist/'s .d.ts) nor tests, corpus, bench, examples
unwanted="$(grep -E '^package/(test|corpus|bench|examples)/|\.ts$' "$work/contents" | grep -v '\.d\.ts$' || true)"
[ -z "$unwanted" ] || fail "the tarball ships what users do not need: $(echo "$unwanted" | head -3)"
echo "$(wc -l <"$work/contents") files in $(basename "$tarball")"

host="$work/host"
mkdir "$host"
cd "$host"
step "a fresh CommonJS project: npm init -y, npm install <tarball>"
npm init -y >/dev/null
[ "$(npm pkg get type)" != '"module"' ] || fail "npm init -y made an ES module package"
npm_i "$tarball"

step "npx lockdrop init"
npx --no lockdrop init
for f in lockdrop/mydrv.mts lockdrop/mydrv.test.mts lockdrop/locks.mts lockdrop/actor.mts \
  lockdrop/scenario.mts lockdrop/property.mts vitest.config.mts .github/workflows/lockdrop.yml; do
  [ -f "$f" ] || fail "init wrote no $f"
done
[ "$(npm pkg get scripts.test)" = '"vitest run"' ] || fail "init did not set the test script"
case "$(npm pkg get dependencies.lockdrop)" in
"\"file:"*) ;;
*) fail "init changed the host's own lockdrop dependency: $(npm pkg get dependencies.lockdrop)" ;;
esac
set +e
npx --no lockdrop init 2>"$work/again.err"
code=$?
set -e
[ "$code" = 2 ] || fail "a second init exited $code, not 2"
grep -q 'already exist' "$work/again.err" || fail "a second init said: $(cat "$work/again.err")"

step "npm install, npm test"
npm_i
npm test

step "npx lockdrop check lockdrop/mydrv.mts --runs 200"
npx --no lockdrop check lockdrop/mydrv.mts --runs 200 >"$work/check.out" ||
  fail "check exited $?: $(tail -5 "$work/check.out")"
# the design lists the team's scenario and property (lockdrop/scenario.mts, property.mts)
for row in 'mydrv-two-threads +no-mmap-lock-under-range-lock' 'mydrv-two-threads +no-deadlock' \
  'mydrv-hugetlb-uffd +lock-balance'; do
  grep -Eq "^$row +holds \(200 random runs\)" "$work/check.out" ||
    fail "check printed no '$row holds' row: $(cat "$work/check.out")"
done
echo "exit 0, every property holds, the team's property on the team's scenario among them"

step "npx lockdrop matrix on the design, and on a CommonJS .ts design, in worker threads"
# mydrv-anon-uffd: the built-in anon-uffd with mrange->lock declared (the built-in one
# does not declare it); matrix judges every property, and one driver thread runs there
npx --no lockdrop matrix --design lockdrop/mydrv.mts --scenario mydrv-anon-uffd --runs 50 --strict >"$work/matrix.out" ||
  fail "matrix exited $?: $(tail -5 "$work/matrix.out")"
grep -q '== mydrv$' "$work/matrix.out" || fail "matrix printed: $(cat "$work/matrix.out")"
# A .ts file is CommonJS here: tsx's require hook gives it a copy of lockdrop of its
# own, which must share the registries with the command's copy (model/registry.ts): its
# scenario names the built-in monitor by id, and it uses the .mts files' declarations.
cat >lockdrop/mydrv-cjs.ts <<'EOF'
import { design, scenario } from "lockdrop/model";
import { LOCKS } from "./locks.mjs";
import mydrv from "./mydrv.mjs";

const plain = scenario({
  id: "mydrv-cjs-plain",
  title: "one mydrv thread, one plain anonymous page, mrange->lock declared",
  families: ["hmm"],
  vmas: [{ name: "anon", pages: 1, write: true, shared: false, hugetlb: false, uffdMissing: false }],
  locks: LOCKS,
  actors: [{ actor: "monitor", budget: null }],
});

export default design({ ...mydrv, id: "mydrv-cjs", scenarios: [plain], properties: undefined });
EOF
npx --no lockdrop matrix --design lockdrop/mydrv-cjs.ts --scenario mydrv-cjs-plain --runs 50 --strict >"$work/matrix-cjs.out" ||
  fail "matrix exited $?: $(tail -5 "$work/matrix-cjs.out")"
grep -q '== mydrv-cjs' "$work/matrix-cjs.out" || fail "matrix printed: $(cat "$work/matrix-cjs.out")"
echo "exit 0, twice"

step "the vitest API on the CommonJS .ts design (plain Node's import() gives module.exports)"
cat >lockdrop/cjs-file.test.mts <<'EOF'
import { checkDesignFile } from "lockdrop/vitest";
import { expect, it } from "vitest";

it("checks a .ts design file of a CommonJS package", async () => {
  const c = await checkDesignFile(new URL("./mydrv-cjs.ts", import.meta.url), {
    scenarios: ["mydrv-cjs-plain"],
    properties: ["lock-balance"],
    runs: 20,
  });
  expect(c.design.id).toBe("mydrv-cjs");
  expect(c.verdict("lock-balance")).toBe("holds");
});
EOF
npx --no vitest run lockdrop/cjs-file.test.mts >"$work/cjs-vitest.out" 2>&1 ||
  fail "the vitest API did not load the CommonJS .ts design: $(tail -15 "$work/cjs-vitest.out")"
rm lockdrop/cjs-file.test.mts
echo "checkDesignFile loaded it"

step 'node -e require("lockdrop/model") from CommonJS'
node -e '
const m = require("lockdrop/model");
const v = require("lockdrop/vitest");
if (typeof m.design !== "function" || typeof v.checkDesign !== "function") process.exit(1);
console.log("require: design() and checkDesign() loaded");'

step "the same project as an ES module package (type: module)"
npm pkg set type=module
node --input-type=module -e '
import { design } from "lockdrop/model";
import { checkDesign } from "lockdrop/vitest";
console.log("import:", typeof design, typeof checkDesign);'
npm test
npx --no lockdrop check lockdrop/mydrv.mts --runs 20 >/dev/null || fail "check exited $? as an ES module package"

step "TypeScript: the scaffold against the shipped declarations"
cat >tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "module": "nodenext",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": true,
    "types": []
  },
  "include": ["lockdrop"]
}
EOF
rm lockdrop/mydrv-cjs.ts
node "$repo/node_modules/typescript/bin/tsc" -p . || fail "the scaffold does not typecheck"
echo "tsc: no errors"

step "TypeScript: lockdrop's own declarations without Node's types (no skipLibCheck)"
# (TypeScript 6 and later include no @types package unless "types" names it: a user's
# tsc must not need Node's types to read lockdrop's declarations)
cat >decl-check.mts <<'EOF'
import { design, exit, safety } from "lockdrop/model";
import { checkDesign } from "lockdrop/vitest";
export const d = design({ id: "decl", family: "hmm", start: "e", steps: { e: { op: exit() } } });
export const p = safety({ id: "decl-p", statement: "s", check: () => null });
export const run = () => checkDesign(d, { runs: 1 });
EOF
cat >tsconfig.json <<'EOF'
{
  "compilerOptions": { "module": "nodenext", "strict": true, "noEmit": true, "types": [] },
  "include": ["decl-check.mts"]
}
EOF
node "$repo/node_modules/typescript/bin/tsc" -p . || fail "lockdrop's declarations need Node's types"
rm decl-check.mts
echo "tsc: no errors"

step "passed"
