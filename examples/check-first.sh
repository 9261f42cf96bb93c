npx lockdrop check ./examples/mydrv-first.ts --scenario anon-uffd --property lock-balance zero-unlocked-not-success
# exit 1: a property is violated
