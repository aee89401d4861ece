package bench

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procStatusMB reads a "kB" field of /proc/self/status (VmHWM: peak
// resident set, VmRSS: current) in MiB; 0 when unavailable.
func procStatusMB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb >> 10
		}
	}
	return 0
}

// gpuInfo is what nvidia-smi says about one device.
type gpuInfo struct {
	Name, Driver string
}

// queryGPU asks nvidia-smi for the name and driver of device id; ok is
// false when nvidia-smi is missing or fails.
func queryGPU(id int) (gpuInfo, bool) {
	out, err := exec.Command("nvidia-smi", "-i", strconv.Itoa(id),
		"--query-gpu=name,driver_version", "--format=csv,noheader").Output()
	if err != nil {
		return gpuInfo{}, false
	}
	parts := strings.Split(strings.TrimSpace(string(out)), ",")
	if len(parts) < 2 {
		return gpuInfo{}, false
	}
	return gpuInfo{Name: strings.TrimSpace(parts[0]), Driver: strings.TrimSpace(parts[1])}, true
}

// gpuPoller samples this process's device memory with nvidia-smi (the Go
// binding exposes no allocator statistics) and keeps the peak. Sampling
// every interval can miss a short spike; ORT's arena rarely shrinks, so
// the peak of the arena is what it sees.
//
// In a container nvidia-smi may list processes under host pids; then the
// device's memory.used above its level at start is reported instead.
type gpuPoller struct {
	id       int
	baseline int64 // device memory.used at start, MiB (-1: unknown)
	mu       sync.Mutex
	peak     int64 // MiB, this process
	seen     bool
	devPeak  int64 // MiB, device memory.used
	util     []utilSample
	cancel   context.CancelFunc
	done     chan struct{}
}

func startGPUPoller(id int, interval time.Duration) *gpuPoller {
	ctx, cancel := context.WithCancel(context.Background())
	p := &gpuPoller{id: id, cancel: cancel, done: make(chan struct{})}
	p.baseline, _ = p.deviceStats()
	go func() {
		defer close(p.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			p.sample()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// utilSample is one reading of utilization.gpu (percent).
type utilSample struct {
	at  time.Time
	pct float64
}

// deviceStats is the device's memory.used in MiB (-1 when unknown) and
// its utilization.gpu in percent (-1 when unknown).
func (p *gpuPoller) deviceStats() (usedMB int64, utilPct float64) {
	out, err := exec.Command("nvidia-smi", "-i", strconv.Itoa(p.id), "--query-gpu=memory.used,utilization.gpu",
		"--format=csv,noheader,nounits").Output()
	if err != nil {
		return -1, -1
	}
	return parseStats(string(out))
}

// parseStats reads nvidia-smi's "used, util" line.
func parseStats(line string) (usedMB int64, utilPct float64) {
	usedMB, utilPct = -1, -1
	f := strings.Split(strings.TrimSpace(line), ",")
	if mb, err := strconv.ParseInt(strings.TrimSpace(f[0]), 10, 64); err == nil {
		usedMB = mb
	}
	if len(f) > 1 {
		if u, err := strconv.ParseFloat(strings.TrimSpace(f[1]), 64); err == nil {
			utilPct = u
		}
	}
	return usedMB, utilPct
}

// meanUtil averages the utilization samples taken between from and to.
func (p *gpuPoller) meanUtil(from, to time.Time) (mean float64, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sum := 0.0
	for _, s := range p.util {
		if !s.at.Before(from) && !s.at.After(to) {
			sum += s.pct
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

func (p *gpuPoller) sample() {
	used, util := p.deviceStats()
	p.mu.Lock()
	if used >= 0 {
		p.devPeak = max(p.devPeak, used)
	}
	if util >= 0 {
		p.util = append(p.util, utilSample{at: time.Now(), pct: util})
	}
	p.mu.Unlock()
	out, err := exec.Command("nvidia-smi", "--query-compute-apps=pid,used_memory",
		"--format=csv,noheader,nounits").Output()
	if err != nil {
		return
	}
	pid := strconv.Itoa(os.Getpid())
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ",")
		if len(f) != 2 || strings.TrimSpace(f[0]) != pid {
			continue
		}
		mb, err := strconv.ParseInt(strings.TrimSpace(f[1]), 10, 64)
		if err != nil {
			continue
		}
		p.mu.Lock()
		p.seen = true
		p.peak = max(p.peak, mb)
		p.mu.Unlock()
	}
}

// stop ends sampling (after one last sample) and returns the peak in MiB,
// or nil when nvidia-smi gave nothing.
func (p *gpuPoller) stop() *int64 {
	p.sample()
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.seen:
		v := p.peak
		return &v
	case p.baseline >= 0 && p.devPeak > 0:
		v := p.devPeak - p.baseline
		return &v
	}
	return nil
}

// cpuName is the CPU model and logical core count, for the report.
func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	name, n := "", 0
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			name = strings.TrimSpace(v)
			n++
		}
	}
	return name + ", " + strconv.Itoa(n) + " logical cores"
}
