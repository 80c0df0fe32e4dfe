// Package progress shows a spinner or a counter on a terminal while a long CLI step
// runs, and nothing at all when disabled (not a terminal, or machine-readable output).
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Reporter draws one task at a time on a single terminal line.
type Reporter struct {
	w       io.Writer
	enabled bool
}

// New returns a Reporter drawing on w, or a silent one when enabled is false.
func New(w io.Writer, enabled bool) *Reporter { return &Reporter{w: w, enabled: enabled} }

// Enabled reports whether the Reporter draws anything.
func (r *Reporter) Enabled() bool { return r != nil && r.enabled }

// Task is a step in progress. Its methods are safe for concurrent use; a nil or silent
// Task ignores them.
type Task struct {
	w     io.Writer
	label string
	total int
	start time.Time

	mu    sync.Mutex
	done  int
	frame int

	stop chan struct{}
	wg   sync.WaitGroup
}

const tick = 100 * time.Millisecond

var frames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Start shows a spinner with label until Done.
func (r *Reporter) Start(label string) *Task { return r.Count(label, 0) }

// Count shows label with a done/total counter and the rate so far until Done; total 0
// shows a plain spinner.
func (r *Reporter) Count(label string, total int) *Task {
	if !r.Enabled() {
		return nil
	}
	t := &Task{w: r.w, label: label, total: total, start: time.Now(), stop: make(chan struct{})}
	t.draw()
	t.wg.Add(1)
	go t.loop()
	return t
}

// Add counts n more units done.
func (t *Task) Add(n int) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.done += n
	t.mu.Unlock()
}

// Done stops the task and clears its line, leaving the terminal as it was.
func (t *Task) Done() {
	if t == nil {
		return
	}
	close(t.stop)
	t.wg.Wait()
	fmt.Fprint(t.w, "\r\033[K")
}

func (t *Task) loop() {
	defer t.wg.Done()
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tk.C:
			t.draw()
		}
	}
}

func (t *Task) draw() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.frame = (t.frame + 1) % len(frames)
	line := frames[t.frame] + " " + t.label
	if t.total > 0 {
		elapsed := time.Since(t.start).Seconds()
		rate := 0.0
		if elapsed > 0 {
			rate = float64(t.done) / elapsed
		}
		line += fmt.Sprintf(" %d/%d (%.1f/s)", t.done, t.total, rate)
	}
	fmt.Fprint(t.w, "\r\033[K"+line)
}
