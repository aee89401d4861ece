//go:build !race

package graph

// bigGraph is the node count of the large-graph tests.
const bigGraph = 100_000
