npx lockdrop check ./examples/svm-first.ts
# exit 1: a property is violated
