package auth

import "time"

// SetClock makes v (its parser and its token cache) read time from now, so
// tests can step past exp and leeway without sleeping.
func SetClock(v *Validator, now func() time.Time) { v.now = now }

// CacheLen returns how many tokens v's cache holds (-1 when it has none).
func CacheLen(v *Validator) int {
	if v.cache == nil {
		return -1
	}
	return v.cache.len()
}

// CacheBytes returns the sum of the costs charged for the entries of v's cache.
func CacheBytes(v *Validator) int {
	n := 0
	for i := range v.cache.shards {
		s := &v.cache.shards[i]
		s.mu.RLock()
		n += s.bytes
		s.mu.RUnlock()
	}
	return n
}

// SetIntrospectorClock makes i read time from now.
func SetIntrospectorClock(i *Introspector, now func() time.Time) { i.now = now }

// IntrospectorCacheLen returns how many answers i's cache holds (-1 when it has none).
func IntrospectorCacheLen(i *Introspector) int {
	if i.cache == nil {
		return -1
	}
	return i.cache.len()
}

// IntrospectionCallers returns how many Validate calls are waiting on i's
// introspections under way.
func IntrospectionCallers(i *Introspector) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	n := 0
	for _, call := range i.inflight {
		n += call.callers
	}
	return n
}
