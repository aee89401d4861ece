package ort

import (
	"fmt"
	"strconv"
	"strings"
)

// Device is where a session runs: the CPU or one CUDA device.
type Device struct {
	Provider Provider
	ID       int
}

// Name is "cpu" or "cuda:N", the form ParseDevice reads.
func (d Device) Name() string {
	if d.Provider == CUDA {
		return fmt.Sprintf("cuda:%d", d.ID)
	}
	return "cpu"
}

// ParseDevice reads "cpu", "cuda" (device 0) or "cuda:N", the --device
// values of sumi's commands.
func ParseDevice(s string) (Device, error) {
	switch {
	case s == "cpu":
		return Device{Provider: CPU}, nil
	case s == "cuda":
		return Device{Provider: CUDA}, nil
	case strings.HasPrefix(s, "cuda:"):
		if id, err := strconv.Atoi(s[len("cuda:"):]); err == nil && id >= 0 {
			return Device{Provider: CUDA, ID: id}, nil
		}
	}
	return Device{}, fmt.Errorf("ort: device %q: want cpu, cuda or cuda:N", s)
}
