package sender

import (
	"time"

	"github.com/gagliardetto/solana-go"
)

// watch is one signature of an action in progress and when its status is read next.
// Its fields are guarded by Sender.mu.
type watch struct {
	fl *flight
	// sent is when the first send of the signature began; zero until it returns.
	sent time.Time
	// down: the signature has no WebSocket subscription, acknowledged or on its way (no
	// WebSocket, the connection is down, or the server refused it).
	down bool
	// due is when the poller next reads the status; zero while nothing is scheduled.
	due time.Time
	// checks counts status reads since sent.
	checks int
}

// minCheckGap keeps the status checks of one signature at least this far apart, so a
// latency estimate near zero cannot turn the poller into a busy loop.
const minCheckGap = 2 * time.Millisecond

// sent starts the status checks of a signature whose send began at start. With a
// WebSocket it is checked at once, and again when its subscription is acknowledged
// (acked): a notification reports only what confirms after the subscription starts, and
// the acknowledgement can come after the confirmation (surfpool's took 40 ms against a
// 9 ms send and confirmation). Without one it is checked at once on a loopback cluster
// (checkAfterSend), a poll interval later otherwise.
func (s *Sender) sent(sig solana.Signature, start time.Time) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.flights[sig]
	if w == nil {
		return
	}
	if w.sent.IsZero() {
		w.sent = start
	}
	if s.hub != nil || s.cfg.checkAfterSend {
		s.dueLocked(w, now)
	} else {
		s.dueLocked(w, now.Add(s.cfg.pollInterval))
	}
}

// dueLocked moves w's next check to at if that is sooner, and wakes the poller.
func (s *Sender) dueLocked(w *watch, at time.Time) {
	if w.sent.IsZero() || (!w.due.IsZero() && !at.Before(w.due)) {
		return
	}
	w.due = at
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// nextCheck is when w, just checked at now and not yet confirmed, is checked again.
// Without a subscription that is a poll interval later. With one, the checks are
// a safety net against a notification that never comes, spaced by the latency L
// observed so far: L/4 after the first, then L/2, L, 2L and so on, at most
// pollInterval×wsPollFactor apart. A signature is read often while it is as young as
// confirmations usually are and sparsely once it is older; gaps of a fraction of L keep
// the estimate, which the checks themselves measure, from feeding on its own delays.
func (s *Sender) nextCheck(w *watch, now time.Time) time.Time {
	w.checks++
	if s.hub == nil || w.down {
		return now.Add(s.cfg.pollInterval)
	}
	maxGap := s.cfg.pollInterval * time.Duration(s.cfg.wsPollFactor)
	l := s.latency
	if l <= 0 {
		l = s.cfg.pollInterval
	}
	gap := (l / 4) << min(w.checks-1, 20)
	return now.Add(min(max(gap, minCheckGap), maxGap))
}

// observe folds the age of a signature seen confirmed into the latency estimate.
func (s *Sender) observeLocked(w *watch, now time.Time) {
	if w.sent.IsZero() {
		return
	}
	d := now.Sub(w.sent)
	if s.latency == 0 {
		s.latency = d
		return
	}
	s.latency += (d - s.latency) / 8
}

// pollLoop reads, in one getSignatureStatuses per round for all of them, the statuses
// of the signatures whose checks are due (or nearly), and the block height every poll interval
// while anything is in flight (every wsPollFactor intervals with a WebSocket: the
// height only proves expiry, which takes a minute on a real cluster).
func (s *Sender) pollLoop() {
	defer s.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	heightEvery := s.cfg.pollInterval
	if s.hub != nil {
		heightEvery *= time.Duration(s.cfg.wsPollFactor)
	}
	var lastHeight time.Time
	var due []solana.Signature
	for {
		now := time.Now()
		due = due[:0]
		var next time.Time
		s.mu.Lock()
		busy := len(s.flights) > 0
		// Checks falling due within an eighth of the latency ride along with the round
		// that is due now: a little early is harmless, and a busy runtime serves fewer
		// requests.
		horizon := now.Add(min(s.latency/8, s.cfg.pollInterval))
		for sig, w := range s.flights {
			switch {
			case w.due.IsZero():
			case !w.due.After(horizon):
				due = append(due, sig)
			case next.IsZero() || w.due.Before(next):
				next = w.due
			}
		}
		s.mu.Unlock()
		heightDue := busy && now.Sub(lastHeight) >= heightEvery
		if heightDue {
			lastHeight = now
		}
		if len(due) > 0 || heightDue {
			s.pollOnce(due, heightDue)
			continue
		}
		if busy && (next.IsZero() || lastHeight.Add(heightEvery).Before(next)) {
			next = lastHeight.Add(heightEvery)
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = time.Until(next)
		}
		t.Reset(wait)
		select {
		case <-s.ctx.Done():
			return
		case <-s.kick:
		case <-t.C:
		}
	}
}

// pollOnce reads the statuses of sigs, and the block height if height is set.
func (s *Sender) pollOnce(sigs []solana.Signature, height bool) {
	var err error
	for i := 0; err == nil && i < len(sigs); i += maxStatusBatch {
		chunk := sigs[i:min(i+maxStatusBatch, len(sigs))]
		var res statusesResult
		if res, err = s.call.statuses(s.ctx, chunk, false); err == nil {
			s.checked(chunk, res.Value)
		}
	}
	if err != nil {
		// Every signature not read waits a poll interval, not a busy loop on a failing
		// node.
		s.mu.Lock()
		later := time.Now().Add(s.cfg.pollInterval)
		for _, sig := range sigs {
			if w := s.flights[sig]; w != nil && !w.due.After(time.Now()) {
				w.due = later
			}
		}
		s.mu.Unlock()
		if s.ctx.Err() == nil {
			s.log.Warn("sender: status poll failed", "err", err)
		}
	}
	if !height {
		return
	}
	ei, err := s.call.epochInfo(s.ctx, s.cfg.commitment)
	if err != nil && s.ctx.Err() == nil {
		s.log.Warn("sender: block height poll failed", "err", err)
	}
	s.pollMu.Lock()
	s.poll = pollState{slot: ei.AbsoluteSlot, height: ei.BlockHeight, err: err}
	if err != nil {
		s.poll.slot, s.poll.height = 0, 0
	}
	close(s.pollWake)
	s.pollWake = make(chan struct{})
	s.pollMu.Unlock()
}

// checked hands the statuses read for sigs to their flights and schedules the next
// check of every signature not yet at the commitment.
func (s *Sender) checked(sigs []solana.Signature, statuses []*sigStatus) {
	now := time.Now()
	var found []update
	s.mu.Lock()
	for j, sig := range sigs {
		w := s.flights[sig]
		if w == nil {
			continue
		}
		st := statuses[j]
		if st != nil && st.reached(s.cfg.commitment) {
			s.observeLocked(w, now)
			w.due = time.Time{}
		} else {
			w.due = s.nextCheck(w, now)
		}
		if st != nil {
			found = append(found, update{sig: sig, status: st})
		}
	}
	s.mu.Unlock()
	for _, u := range found {
		s.deliver(u)
	}
}

// deliver hands an update to its flight without blocking; a flight that is not reading
// will see the same status again at its next check.
func (s *Sender) deliver(u update) {
	s.mu.Lock()
	w := s.flights[u.sig]
	s.mu.Unlock()
	if w == nil {
		return
	}
	select {
	case w.fl.updates <- u:
	default:
		s.mu.Lock()
		s.dueLocked(w, time.Now().Add(s.cfg.pollInterval))
		s.mu.Unlock()
	}
}

// acked implements wsEvents: the subscription is live, and a status check finds a
// confirmation that came before it.
func (s *Sender) acked(sig solana.Signature) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.flights[sig]; w != nil {
		w.down, w.checks = false, 0
		s.dueLocked(w, time.Now())
	}
}

// notified implements wsEvents. The notification comes when the transaction reaches
// the subscription's commitment, which is the Sender's.
func (s *Sender) notified(sig solana.Signature, slot uint64, txErr any) {
	s.mu.Lock()
	w := s.flights[sig]
	if w != nil {
		s.observeLocked(w, time.Now())
		w.due = time.Time{}
	}
	s.mu.Unlock()
	s.deliver(update{sig: sig, status: &sigStatus{Slot: slot, Err: txErr, ConfirmationStatus: string(s.cfg.commitment)}})
}

// unsubscribed implements wsEvents: the signatures are polled every poll interval until
// they are subscribed again, starting now, since their notifications may have been
// lost.
func (s *Sender) unsubscribed(sigs []solana.Signature) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sig := range sigs {
		if w := s.flights[sig]; w != nil {
			w.down = true
			s.dueLocked(w, now)
		}
	}
}

// missed implements wsEvents: a notification nobody could take may have been any
// signature's, so every one is checked now.
func (s *Sender) missed() {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.flights {
		s.dueLocked(w, now)
	}
}

// lastPoll returns the latest block-height poll.
func (s *Sender) lastPoll() pollState {
	p, _ := s.nextPoll()
	return p
}

// nextPoll returns the latest block-height poll and a channel closed when the next one
// is in.
func (s *Sender) nextPoll() (pollState, <-chan struct{}) {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	return s.poll, s.pollWake
}
