//go:build race

package executor

// bigGraph is the node count of the large-graph tests; the race detector
// makes the full 100,000 too slow for make test, so it checks 10,000.
const bigGraph = 10_000
