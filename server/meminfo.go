package server

import "fmt"

// sscanMem parses a /proc/meminfo line "MemTotal:   123 kB".
func sscanMem(line string, key *string, kb *uint64) (int, error) {
	return fmt.Sscanf(line, "%s %d", key, kb)
}
