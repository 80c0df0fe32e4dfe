//go:build unix

package localnet

import (
	"errors"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is a runtime child running in its own process group, so stopping
// it also stops anything it spawned.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // from Wait, valid once done is closed
	// stdin, when set, is the write end of the child's stdin; closing it
	// tells the launcher to shut down.
	stdin io.Closer
}

// startProcess starts cmd in a new process group. cmd's stdout/stderr must
// already be set.
func startProcess(cmd *exec.Cmd) (*process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Grandchildren that keep our pipes open must not block Wait forever.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process group to terminate, and kills it after grace.
func (p *process) stop(grace time.Duration) error {
	pgid := p.cmd.Process.Pid
	if p.stdin != nil {
		_ = p.stdin.Close()
	}
	if !p.exited() {
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
		}
	}
	// Also reaps members of the group that outlived the leader.
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	<-p.done
	return nil
}

// tail keeps the last bytes written to it, and copies everything to w.
type tail struct {
	mu  sync.Mutex
	buf []byte
	max int
	w   io.Writer
}

func newTail(max int, w io.Writer) *tail {
	if w == nil {
		w = io.Discard
	}
	return &tail{max: max, w: w}
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	// A failing user log must not stall the runtime's output pipe.
	_, _ = t.w.Write(b)
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
