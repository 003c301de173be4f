package packager

import (
	"fmt"
	"time"
)

// Defaults of the zero Retry.
const (
	// DefaultRetries is how many times the zero Retry tries a failed request again.
	DefaultRetries = 5
	// DefaultRetryDelay is the zero Retry's wait before the first retry.
	DefaultRetryDelay = time.Second
)

// Retry says how a failed request is tried again: a registry request (pulls, pushes,
// signatures; connection errors, 408, 429 and 5xx answers) and, in Build, a dependency
// download. Each wait is twice the one before.
//
// The zero value is the default: DefaultRetries retries, the first after
// DefaultRetryDelay. Retries(n) asks for n retries, and Retries(0) for none; a negative n
// is refused with an *OptionError by whatever uses the Retry.
type Retry struct {
	times int
	set   bool // times was given (Retries), so 0 means none
	delay time.Duration
}

// Retries retries a failed request n times; Retries(0) tries each request once.
func Retries(n int) Retry { return Retry{times: n, set: true} }

// WithDelay returns r waiting d before the first retry (then twice as long each time);
// zero means DefaultRetryDelay, and a negative d is refused like a negative count.
func (r Retry) WithDelay(d time.Duration) Retry {
	r.delay = d
	return r
}

// Times is how many times a failed request is tried again.
func (r Retry) Times() int {
	if !r.set {
		return DefaultRetries
	}
	return max(r.times, 0)
}

// Delay is the wait before the first retry.
func (r Retry) Delay() time.Duration {
	if r.delay <= 0 {
		return DefaultRetryDelay
	}
	return r.delay
}

// String says what r does, e.g. "5 retries from 1s" or "no retries".
func (r Retry) String() string {
	switch n := r.Times(); n {
	case 0:
		return "no retries"
	case 1:
		return fmt.Sprintf("1 retry after %s", r.Delay())
	default:
		return fmt.Sprintf("%d retries from %s", n, r.Delay())
	}
}

// validate refuses a negative count or delay; option names the Retry in messages.
func (r Retry) validate(option string) error {
	switch {
	case r.times < 0:
		return &OptionError{Option: option, Reason: fmt.Sprintf("is %d: the number of retries cannot be negative (0 turns retrying off)", r.times)}
	case r.delay < 0:
		return &OptionError{Option: option, Reason: fmt.Sprintf("waits %s: the delay cannot be negative (zero means %s)", r.delay, DefaultRetryDelay)}
	}
	return nil
}
