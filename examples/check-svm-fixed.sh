npx lockdrop check ./examples/svm-fixed.ts --exhaustive --depth 200
# exit 0: every property holds
