package ocireg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
)

// Fail classifies a failure of what (e.g. "reading the referrers of
// develop/app@sha256:…") against the registry: a registry that cannot be
// reached — no answer, 429 or 5xx once retries are spent — is temporary;
// a token refused is a permission failure; any other refusal or garbled
// answer is unexpected. The message names the endpoint and the cause.
func (c *Client) Fail(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*failure.Error](err); ok {
		return e
	}
	e := &failure.Error{Code: failure.CodeRegistryError, Message: fmt.Sprintf("%s at the registry %s: %v", what, c.endpoint, err), Err: err,
		Hint: "check registry_endpoint and the registry's answer above"}
	var terr *transport.Error
	switch {
	case ctx.Err() != nil:
		e.Code = failure.CodeTimeout
		e.Hint = "raise timeout, or check that the registry answers"
	case errors.As(err, &terr):
		e.HTTPStatus = terr.StatusCode
		switch s := terr.StatusCode; {
		case s == http.StatusUnauthorized || s == http.StatusForbidden:
			e.Code = failure.CodeRegistryDenied
			e.Hint = "the registry refused the instance token: the credentials need tcr:CreateInstanceToken, and the token access to the repository"
		case s == http.StatusTooManyRequests || s >= 500:
			e.Code = failure.CodeRegistryUnreachable
			e.Hint = "the registry kept failing: re-run the step later"
		}
	case errors.Is(err, ErrBlobDigest):
		e.Hint = "the source registry served a blob that is not what its digest says: nothing was tagged; if it persists, the source's storage is damaged or something between rewrites it"
	case errors.Is(err, ErrTooLarge):
		e.Code = failure.CodeAnswerTooLarge
	case tcrapi.IsCertificateError(err):
		e.Code = failure.CodeCertificate
		e.Hint = "trust the registry's CA with ca_cert, or check registry_endpoint"
	case unreachable(err):
		e.Code = failure.CodeRegistryUnreachable
		e.Hint = "the runner cannot reach the registry: a network policy, or TCR's public-network whitelist; set registry_endpoint to an address it can reach (the instance's VPC domain), or allow the runner's address"
	}
	e.Class = failure.ClassOfCode(e.Code)
	return e
}

// unreachable reports whether err says no answer came: refused, reset,
// cut off, timed out, or no such host.
func unreachable(err error) bool {
	var uerr *url.Error
	var nerr net.Error
	var dns *net.DNSError
	var op *net.OpError
	return errors.As(err, &uerr) || errors.As(err, &nerr) || errors.As(err, &dns) || errors.As(err, &op) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}
