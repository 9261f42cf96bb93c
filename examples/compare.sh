npx lockdrop compare ./examples/mydrv-first.ts ./examples/mydrv.ts ./examples/mydrv-killable.ts --scenario anon-uffd
# exit 0: compare is a report
