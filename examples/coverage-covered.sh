npx lockdrop coverage ./examples/mydrv-covered.ts --strict
# exit 0: every edge is reached or listed as unreachable
