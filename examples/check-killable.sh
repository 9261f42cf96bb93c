npx lockdrop check ./examples/mydrv-killable.ts --scenario anon-uffd hugetlb-uffd
# exit 0: every property holds
