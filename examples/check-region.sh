npx lockdrop check ./examples/region.ts --property no-freed-vma-use
# exit 1: a property is violated
