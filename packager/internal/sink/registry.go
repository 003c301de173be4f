package sink

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// RegistryOptions tune a push.
type RegistryOptions struct {
	// Keychain resolves credentials; nil means authn.DefaultKeychain (Docker config files and
	// credential helpers).
	Keychain authn.Keychain
	// Retries is how many times a failed request is tried again (0: never).
	Retries int
	// RetryDelay is the first wait between tries, doubled each time.
	RetryDelay time.Duration
	// Transport is the HTTP transport; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Progress receives upload updates when set.
	Progress chan<- v1.Update
}

// Options returns go-containerregistry remote options for o.
func (o RegistryOptions) Options(ctx context.Context) []remote.Option {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithRetryBackoff(remote.Backoff{Duration: o.RetryDelay, Factor: 2, Jitter: 0.1, Steps: o.Retries + 1}),
		remote.WithRetryStatusCodes(http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout),
	}
	if o.Transport != nil {
		opts = append(opts, remote.WithTransport(o.Transport))
	}
	if o.Progress != nil {
		opts = append(opts, remote.WithProgress(o.Progress))
	}
	return opts
}

// Push writes m (an image or an image index) to ref. Blobs and child manifests are pushed
// by digest first; the tag is written last. It returns the digest of m.
func Push(ctx context.Context, ref string, m Manifest, o RegistryOptions) (v1.Hash, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("parsing image reference %q: %w (use host[:port]/repository[:tag])", ref, err)
	}
	opts := o.Options(ctx)
	var digest v1.Hash
	switch x := m.(type) {
	case v1.ImageIndex:
		digest, err = x.Digest()
		if err == nil {
			err = remote.WriteIndex(r, x, opts...)
		}
	case v1.Image:
		digest, err = x.Digest()
		if err == nil {
			err = remote.Write(r, x, opts...)
		}
	default:
		err = fmt.Errorf("unsupported manifest type %T", m)
	}
	if err != nil {
		return v1.Hash{}, explain(r, err)
	}
	return digest, nil
}

// explain turns registry errors into messages that say what to do.
func explain(r name.Reference, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("pushing %s: the registry %s refused the credentials (HTTP %d): log in with `docker login %s`, or check DOCKER_CONFIG and credential helpers: %w",
				r, r.Context().RegistryStr(), te.StatusCode, r.Context().RegistryStr(), err)
		}
	}
	return fmt.Errorf("pushing %s: %w", r, err)
}
