package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/golang-jwt/jwt/v5"
)

// IssuerKeys is the key set of one trusted authorization server and the iss values
// of the tokens it may verify: the issuer and its variants (Entra's v1.0 issuer of a
// v2.0 tenant, a Scalekit environment's resource issuers), which it signs with the
// same keys.
type IssuerKeys struct {
	Issuers []string
	Keys    KeySet
}

// IssuerKeySet is a KeySet for a resource that trusts several authorization servers.
// A token's iss, read from its claims before the signature is checked, selects the
// key set: a token claiming one issuer is verified with that issuer's keys only, so
// one authorization server can never sign for another, and an unknown iss is
// refused before any key lookup or fetch. The Validator then checks iss again, with
// the other claims, once the signature holds.
type IssuerKeySet struct {
	byIssuer map[string]KeySet
	sets     []KeySet
	// snapshots are the sets whose keys the verified-token cache can inspect;
	// complete reports whether every set is one.
	snapshots []keySnapshotter
	complete  bool
	merged    atomic.Pointer[mergedKeys]
}

var _ ContextKeySet = (*IssuerKeySet)(nil)

// errUnknownIssuer is wrapped when a token's iss names no trusted issuer.
var errUnknownIssuer = errors.New("no key set for this issuer")

// NewIssuerKeySet returns the key set of several issuers. Each iss value must belong
// to one issuer only.
func NewIssuerKeySet(issuers []IssuerKeys) (*IssuerKeySet, error) {
	var problems []string
	if len(issuers) == 0 {
		problems = append(problems, "at least one issuer is required")
	}
	s := &IssuerKeySet{byIssuer: make(map[string]KeySet), complete: true}
	for i, ik := range issuers {
		if ik.Keys == nil {
			problems = append(problems, fmt.Sprintf("issuer %d has no key set", i+1))
			continue
		}
		if len(ik.Issuers) == 0 {
			problems = append(problems, fmt.Sprintf("issuer %d names no iss value", i+1))
		}
		for _, iss := range ik.Issuers {
			switch {
			case strings.TrimSpace(iss) == "":
				problems = append(problems, "issuers must not be empty strings")
			case s.byIssuer[iss] != nil:
				problems = append(problems, fmt.Sprintf("issuer %q has two key sets", iss))
			default:
				s.byIssuer[iss] = ik.Keys
			}
		}
		s.sets = append(s.sets, ik.Keys)
		if ks, ok := ik.Keys.(keySnapshotter); ok {
			s.snapshots = append(s.snapshots, ks)
		} else {
			s.complete = false
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("issuer key set: %s", strings.Join(problems, "; "))
	}
	return s, nil
}

// Ready reports whether any issuer's keys have loaded: tokens of that issuer can be
// checked, while those of an issuer whose keys are still missing get 503. AllReady
// says whether every issuer's have.
func (s *IssuerKeySet) Ready() bool {
	for _, ks := range s.sets {
		if ks.Ready() {
			return true
		}
	}
	return false
}

// AllReady reports whether every issuer's keys have loaded: what a readiness probe
// should wait for, so that no replica in service refuses a trusted issuer's tokens.
func (s *IssuerKeySet) AllReady() bool {
	for _, ks := range s.sets {
		if !ks.Ready() {
			return false
		}
	}
	return true
}

// Keyfunc implements KeySet.
func (s *IssuerKeySet) Keyfunc(token *jwt.Token) (any, error) {
	return s.KeyfuncCtx(context.Background())(token)
}

// KeyfuncCtx implements ContextKeySet: the issuer's own key lookup, stopping when
// ctx ends if that lookup may wait for a fetch.
func (s *IssuerKeySet) KeyfuncCtx(ctx context.Context) jwt.Keyfunc {
	return func(token *jwt.Token) (any, error) {
		ks, err := s.keySet(token)
		if err != nil {
			return nil, err
		}
		if ck, ok := ks.(ContextKeySet); ok {
			return ck.KeyfuncCtx(ctx)(token)
		}
		return ks.Keyfunc(token)
	}
}

// keySet returns the key set of the issuer token claims. golang-jwt has decoded the
// claims, unverified, before it asks for a key.
func (s *IssuerKeySet) keySet(token *jwt.Token) (KeySet, error) {
	if token.Claims == nil {
		return nil, errUnknownIssuer
	}
	iss, err := token.Claims.GetIssuer()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnknownIssuer, err)
	}
	ks := s.byIssuer[iss]
	if ks == nil {
		return nil, errUnknownIssuer
	}
	return ks, nil
}

// mergedKeys is every issuer's keys in one snapshot, for the verified-token cache,
// and the issuers' snapshots it was built from.
type mergedKeys struct {
	parts []*keySnapshot
	snap  *keySnapshot
}

// noKeys is the snapshot of a set the cache cannot inspect: it holds no key, so a
// cached token is never trusted without its key being seen.
var noKeys = &keySnapshot{}

// currentKeys lets the verified-token cache check that the key that verified a token
// is still published. A cached token's key was chosen by its iss, so it is its
// issuer's; if another issuer publishes the very same public key, that issuer holds
// the same private key, and nothing is lost. The merged snapshot changes only when
// an issuer's does, so the cache's one-pointer check keeps working.
func (s *IssuerKeySet) currentKeys() *keySnapshot {
	if !s.complete {
		return noKeys
	}
	if m := s.merged.Load(); m != nil && s.unchanged(m.parts) {
		return m.snap
	}
	m := &mergedKeys{parts: make([]*keySnapshot, len(s.snapshots)), snap: &keySnapshot{byKID: make(map[string][]jwkEntry)}}
	for i, ks := range s.snapshots {
		part := ks.currentKeys()
		m.parts[i] = part
		if part == nil {
			continue
		}
		m.snap.all = append(m.snap.all, part.all...)
		for kid, entries := range part.byKID {
			m.snap.byKID[kid] = append(m.snap.byKID[kid], entries...)
		}
	}
	// Concurrent rebuilds store equal merges; the cache then re-checks its entry once.
	s.merged.Store(m)
	return m.snap
}

func (s *IssuerKeySet) unchanged(parts []*keySnapshot) bool {
	for i, ks := range s.snapshots {
		if ks.currentKeys() != parts[i] {
			return false
		}
	}
	return true
}
