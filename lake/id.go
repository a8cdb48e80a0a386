package lake

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

const idTimeLayout = "20060102T150405Z"

var idState struct {
	mu   sync.Mutex
	sec  int64  // unix second of the last id
	last uint64 // suffix of the last id
}

// NewID returns a time-ordered, never-reused id: the UTC second "20060102T150405Z", "-", and 16
// lowercase hex characters from crypto/rand. Within one process ids are strictly increasing: a
// second id in the same second (or after the clock stepped back) continues from the previous
// suffix instead of drawing a new one, so lexical order is creation order.
func NewID() string {
	idState.mu.Lock()
	defer idState.mu.Unlock()
	sec := time.Now().Unix()
	if sec <= idState.sec {
		sec = idState.sec
		// Step by a random amount below 2^32 so that ids stay unguessable; on the (practically
		// impossible) overflow move to the next second.
		step := randUint64()>>32 + 1
		if idState.last+step < idState.last {
			sec++
			idState.last = randUint64() >> 1
		} else {
			idState.last += step
		}
	} else {
		// Half the range leaves room for increments within the second.
		idState.last = randUint64() >> 1
	}
	idState.sec = sec
	return fmt.Sprintf("%s-%016x", time.Unix(sec, 0).UTC().Format(idTimeLayout), idState.last)
}

func randUint64() uint64 {
	var b [8]byte
	// crypto/rand.Read never returns an error on supported platforms (Go 1.24+ panics instead).
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])
}
