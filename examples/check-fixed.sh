npx lockdrop check ./examples/mydrv.ts --scenario anon-uffd hugetlb-uffd
# exit 1: a property is violated
